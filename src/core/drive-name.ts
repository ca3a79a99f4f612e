// Drive names are matched without regard to case, everywhere: "a" on the command line, "A" in
// the config and a FAT volume label shown upper-case by the OS are the same drive name. (A name
// says which drive is meant; which drive it *is* is decided by its id: drives/binding.ts.)

/** The key two drive names share when they name the same drive. */
export const driveNameKey = (name: string): string => name.toLowerCase();

export const sameDriveName = (a: string, b: string): boolean => driveNameKey(a) === driveNameKey(b);

/** The item of that name, if any. */
export function byDriveName<T extends { name: string }>(items: readonly T[], name: string): T | undefined {
  const key = driveNameKey(name);
  return items.find((x) => driveNameKey(x.name) === key);
}
