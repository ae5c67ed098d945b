#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given binaries load (one
# name per line, sorted, without -dev packages or libc6 which every image has). Used by the
# Dockerfile's builder stage so the runtime stage installs exactly what the binaries link, and
# nothing has to be kept in sync by hand. Usage: runtime-packages.sh BINARY...
set -euo pipefail
for bin in "$@"; do
  ldd "$bin" | awk '/=> \// {print $3} /^\s*\/lib/ {print $1}'
done | sort -u | while read -r lib; do
  real="$(readlink -f "$lib")"
  # With merged /usr, ldd may report /lib/... for a file dpkg registered as /usr/lib/... (or the
  # other way round): try each spelling of the library and of its resolved target.
  pkg=""
  for cand in "$lib" "$real" "/usr$lib" "${lib#/usr}" "/usr$real" "${real#/usr}"; do
    if out="$(dpkg -S "$cand" 2>/dev/null)"; then
      pkg="${out%%:*}"
      break
    fi
  done
  if [ -z "$pkg" ]; then
    echo "runtime-packages: no Debian package provides $lib" >&2
    exit 1
  fi
  echo "${pkg%%,*}"
done | sed 's/:[a-z0-9]*$//' | grep -v -e '-dev$' -e '^libc6$' | sort -u
