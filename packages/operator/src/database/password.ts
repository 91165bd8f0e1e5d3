// Generated passwords, and the form PostgreSQL stores them in. PostgreSQL is sent the
// SCRAM-SHA-256 verifier instead of the password, so a statement log on the server never
// shows the password itself.
import { createHash, createHmac, pbkdf2Sync, randomBytes, randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 characters from [A-Za-z0-9] (about 190 bits): safe in a URL and in SQL without quoting tricks. */
export function generatePassword(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** RFC 5802 / RFC 7677 verifier as PostgreSQL writes it: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>. */
export function scramSha256Verifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  // The generated passwords are ASCII, which SASLprep leaves as is.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
