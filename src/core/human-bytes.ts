// Sizes as people read them ("1.2 GB"), for the messages the core writes (plan warnings, the
// room a backup needs). The ui prints sizes the same way (ui/render.ts uses this).
import prettyBytes from 'pretty-bytes';

export const humanBytes = (n: number): string => prettyBytes(n, { maximumFractionDigits: 1 });
