import { randomInt } from 'node:crypto';

/**
 * Redis Enterprise password complexity (redis.io password complexity rules,
 * https://redis.io/docs/latest/operate/rs/security/access-control/manage-passwords/password-complexity-rules/):
 * at least 1 uppercase, 1 lowercase, 1 digit and 1 special character, a minimum length (8 by
 * default, configurable 8..256), no copy of the email nor its reverse, no more than 3 repeating
 * characters. Shared by the connector (which must invent a password, POST requires one) and the
 * simulator (which enforces the rules when complexity is on).
 */

const upper = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const lower = 'abcdefghijkmnopqrstuvwxyz';
const digits = '23456789';
// Characters that need no quoting in JSON, shells or URLs.
const specials = '!#%*+-.:=?@^_~';
const classes = [upper, lower, digits, specials] as const;
const alphabet = classes.join('');

/** The default length of generated passwords; the retry after `password_not_complex` uses the documented maximum minimum (256). */
export const generatedPasswordLength = 32;

/** Which complexity rules a password breaks (empty when it complies). */
export function passwordComplexityProblems(password: string, email: string, minLength = 8): string[] {
  const problems: string[] = [];
  if (password.length < minLength) problems.push(`at least ${minLength} characters`);
  if (!/[A-Z]/.test(password)) problems.push('an uppercase letter');
  if (!/[a-z]/.test(password)) problems.push('a lowercase letter');
  if (!/[0-9]/.test(password)) problems.push('a digit');
  if (!/[^A-Za-z0-9]/.test(password)) problems.push('a special character');
  const folded = password.toLowerCase();
  const address = email.toLowerCase();
  if (address !== '' && (folded.includes(address) || folded.includes([...address].reverse().join('')))) {
    problems.push('no copy of the email, forwards or reversed');
  }
  // "No more than 3 repeating characters" read as: no character 4 times or more in a row.
  if (/(.)\1{3,}/.test(password)) problems.push('no more than 3 repeating characters');
  return problems;
}

/** Generates a random password that meets the complexity rules for this email (crypto-random, no repeats in a row). */
export function generatePassword(email: string, length = generatedPasswordLength): string {
  const size = Math.max(16, length);
  for (;;) {
    const chars = classes.map(pick);
    while (chars.length < size) chars.push(pick(alphabet));
    shuffle(chars);
    const password = chars.join('');
    if (!/(.)\1/.test(password) && passwordComplexityProblems(password, email, size).length === 0) return password;
  }
}

function pick(set: string): string {
  return set.charAt(randomInt(set.length));
}

function shuffle(chars: string[]): void {
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const held = chars[i] as string;
    chars[i] = chars[j] as string;
    chars[j] = held;
  }
}
