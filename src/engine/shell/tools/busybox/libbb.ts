/** libbb's keyword matching (compare_string_array.c), as BusyBox applets parse their words. */

/** index_in_strings: the index of the word equal to `key`, or -1. */
export function indexInStrings(words: readonly string[], key: string): number {
  return words.indexOf(key);
}

/**
 * index_in_substrings: the word equal to `key`, else the only one `key` begins (-1 when none or
 * when two do: "l" is neither list nor lst).
 */
export function indexInSubstrings(words: readonly string[], key: string): number {
  if (key === '') return -1;
  let found = -1;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith(key)) continue;
    if (w === key) return i;
    if (found >= 0) return -1;
    found = i;
  }
  return found;
}
