const KNOWN_PREFIX = /^((?:sk|rk|pk)_(?:test|live)_|whsec_|mes_tok_)/;
/** Stripe secret keys, restricted keys, webhook secrets and meter event session tokens inside free text. */
const EMBEDDED_SECRET = /\b(?:(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]+|whsec_[A-Za-z0-9]+|mes_tok_[A-Za-z0-9]+)/g;
const MIN_HIDDEN_FOR_TAIL = 8;

/**
 * Masks a secret for display: the type prefix stays (`sk_test_`, `whsec_`), the
 * rest is replaced by `…` followed by the last four characters — only when at
 * least eight more stay hidden, so a short secret is never half revealed.
 *
 * `maskSecret('sk_test_51HabcdefWxyz')` → `'sk_test_…Wxyz'`.
 */
export function maskSecret(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') {
    return '';
  }
  const prefix = KNOWN_PREFIX.exec(value)?.[1] ?? '';
  const rest = value.slice(prefix.length);
  const tail = rest.length >= MIN_HIDDEN_FOR_TAIL + 4 ? rest.slice(-4) : '';
  return `${prefix}…${tail}`;
}

/** Replaces every secret-looking token, and each of `knownSecrets`, in `text` by its mask. */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let redacted = text;
  for (const secret of knownSecrets) {
    if (secret.length > 0) {
      redacted = redacted.split(secret).join(maskSecret(secret));
    }
  }
  return redacted.replace(EMBEDDED_SECRET, (match) => maskSecret(match));
}
