/** SHA-512 (FIPS 180-4) of a UTF-8 string, as hex: what CNI hashes chain names with. */
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export function sha512Hex(text: string): string {
  return bytesToHex(sha512(utf8ToBytes(text)));
}
