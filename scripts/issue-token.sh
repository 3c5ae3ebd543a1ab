#!/usr/bin/env bash
# Issues a bearer token: prints the token (give it to its holder; it is not
# kept anywhere) and the entry to append to the tokens file
# (access.tokens_file), which holds only the token's SHA-256.
#
#   scripts/issue-token.sh <name> <operator|storefront|warehouse|supplier> [tokens-file]
#
# With a tokens file the entry is appended to it; services read the file
# again within access.reload_seconds, so no restart is needed.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 <name> <operator|storefront|warehouse|supplier> [tokens-file]" >&2
  exit 2
fi
name="$1"
role="$2"
file="${3:-}"
case "$role" in
  operator | storefront | warehouse | supplier) ;;
  *) echo "role must be operator, storefront, warehouse or supplier, not '$role'" >&2; exit 2 ;;
esac
if [[ ! "$name" =~ ^[A-Za-z0-9._@-]+$ ]]; then
  echo "name: letters, digits and . _ @ - only (it appears in audit lines)" >&2
  exit 2
fi

# 32 random bytes, URL-safe base64 without padding.
token="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
hash="$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)"
entry="$(printf '[[token]]\nname = "%s"\nrole = "%s"\nsha256 = "%s"\n' "$name" "$role" "$hash")"

if [[ -n "$file" ]]; then
  printf '\n%s\n' "$entry" >>"$file"
  echo "appended $name ($role) to $file" >&2
else
  echo "append to the tokens file:" >&2
  printf '%s\n' "$entry"
fi
echo "token for $name (shown once; send it as 'authorization: Bearer <token>'):" >&2
printf '%s\n' "$token"
