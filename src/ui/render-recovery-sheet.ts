// The recovery sheet as one printable HTML page (A4 or Letter): self-contained (inline style, no
// script, no external URL), so that it prints the same from any browser, offline. It is a secret,
// and says so first, in large type.
import type { RecoverySheet } from '../jobs/recovery-sheet.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `@page { size: auto; margin: 14mm; }
body { font: 10.5pt/1.35 system-ui, sans-serif; color: #000; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
.secret { border: 3pt solid #b00; color: #b00; padding: 6pt 8pt; font-weight: bold; font-size: 12pt; margin: 6pt 0 10pt; }
h2 { font-size: 11.5pt; margin: 10pt 0 3pt; border-bottom: 1pt solid #888; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 0.5pt solid #888; padding: 2pt 4pt; text-align: left; vertical-align: top; }
code, pre { font: 9.5pt/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f3f3f3; padding: 4pt 6pt; white-space: pre-wrap; word-break: break-all; margin: 3pt 0; }
.key { font: bold 11pt/1.4 ui-monospace, "DejaVu Sans Mono", monospace; border: 1.5pt solid #000; padding: 6pt; word-break: break-all; letter-spacing: 0.5pt; }
ol { padding-left: 16pt; margin: 3pt 0; } li { margin: 2pt 0; }
.small { font-size: 9pt; color: #333; }
@media screen { body { padding: 12pt; } }`;

function drivesTable(sheet: RecoverySheet): string {
  const rows = sheet.drives.map((d) => `<tr><td><b>${esc(d.name)}</b></td><td>${esc(d.role)}${d.location ? `, ${esc(d.location)}` : ''}</td><td>${d.encrypted ? 'encrypted' : '<b>not encrypted</b>'}</td><td>${d.snapshots ? `${d.snapshots} snapshot${d.snapshots === 1 ? '' : 's'}, ${esc(d.oldest!)} to ${esc(d.newest!)}` : 'none seen yet'}</td></tr>`).join('\n');
  return `<table><tr><th>Drive</th><th>Kept</th><th>Encryption</th><th>Holds (when this sheet was printed)</th></tr>\n${rows}</table>`;
}

export function renderRecoverySheet(sheet: RecoverySheet): string {
  const own = sheet.recipients.filter((r) => !r.driveKey);
  const key = sheet.driveKeySecret
    ? `<h2>The drive key (secret)</h2>
<p>This key opens every snapshot of the encrypted drives, without the passphrase. Type it into a file <code>key.txt</code>, exactly as below, on one line:</p>
<div class="key">${esc(sheet.driveKeySecret)}</div>`
    : '<h2>Keys</h2><p>This rotation has no drive key: it is encrypted to keys of your own only, and their secret key files are kept by you, not by airgap.</p>';
  const recipients = sheet.recipients.map((r) => `<li><code>${esc(r.recipient)}</code>${r.driveKey ? ' (the drive key above)' : ' (a key of your own: its secret file is yours)'}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>airgap recovery sheet</title><style>${STYLE}</style></head>
<body>
<h1>airgap recovery sheet</h1>
<div class="secret">SECRET. Whoever holds this sheet can read every backup on these drives. Keep it locked away, NOT with the drives (a safe, a sealed envelope with someone you trust). Lose this sheet and the passphrase${own.length ? ' and your own keys' : ''}, and nobody can restore them: not you, not airgap.</div>
<p class="small">Printed ${esc(sheet.made.slice(0, 10))} by airgap. The drives were written by airgap: every snapshot is a standard tar archive encrypted with age, restorable without airgap.</p>
<h2>The drives</h2>
${drivesTable(sheet)}
${key}
<h2>Encrypted to</h2>
<ol>${recipients}</ol>
<h2>Restoring without airgap</h2>
<ol>
<li>Install age (Debian, Ubuntu: <code>apt install age</code>; macOS: <code>brew install age</code>; Windows: <code>winget install FiloSottile.age</code>) and plug in a drive.</li>
<li>${sheet.driveKeySecret ? 'Type the drive key above into <code>key.txt</code> (or, with the passphrase: <code>age -d -o key.txt airgap/KEY.age</code>).' : 'Have your own key file at hand as <code>key.txt</code>.'}</li>
<li>Pick a snapshot folder under <code>airgap/</code> on the drive (named by its date) and check it, no key needed:
<pre>cd /media/me/BACKUP/airgap/&lt;SNAPSHOT&gt; &amp;&amp; sha256sum -c SHA256SUMS</pre></li>
<li>Follow that folder's <code>RESTORE.txt</code>: it lists every command, the whole chain of an increment included. Use <code>key.txt</code> where it says "Own key". A full snapshot in one file comes back with:
<pre>mkdir -p ~/restored
age -d -i key.txt &lt;SNAPSHOT&gt;.tar.age | tar -xpf - -C ~/restored</pre>
In parts: <code>cat &lt;SNAPSHOT&gt;.tar.age.* | age -d -i key.txt | tar -xpf - -C ~/restored</code>.
Windows: <code>cmd /c "age -d -i key.txt &lt;SNAPSHOT&gt;.tar.age | tar -xf - -C %USERPROFILE%\\restored"</code>.</li>
<li>Destroy <code>key.txt</code> when done.</li>
</ol>
<p class="small">With airgap installed: <code>airgap restore &lt;drive&gt; --to &lt;folder&gt; --identity key.txt</code>. Details: the drive's <code>airgap/README.txt</code>.</p>
</body></html>
`;
}
