// Counts in words: "1 file", "2 files", never "1 files" nor "file(s)". Pure, for every message.

/** `n` and the word, in the plural unless n is 1 (`many` for irregular ones: "copy", "copies"). */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
