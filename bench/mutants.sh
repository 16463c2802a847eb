#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the rules that decide who may see what and who counts
# as a victim, each file with its own crate's tests. Too slow for CI; run before changing
# those rules, and read the missed mutants it lists: each is a behaviour no test pins.
#
#   bench/mutants.sh [FILE…]     (default: the files below)
#
# Prints caught, missed, timed-out and unviable mutants per file. Equivalent mutants (the
# code cannot behave differently) are excluded in .cargo/mutants.toml, each with a reason.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(
    crates/domain/src/policy.rs
    crates/domain/src/grant.rs
    crates/domain/src/org.rs
    crates/domain/src/screening.rs
    crates/domain/src/statistics.rs
    crates/core/src/usecases/redaction.rs
  )
fi
out=bench/out/mutants
mkdir -p "$out"
printf '%-45s %7s %7s %8s %9s\n' file caught missed timeout unviable
for f in "${files[@]}"; do
  case "$f" in
    crates/domain/*) pkg=amparo-domain ;;
    crates/core/*) pkg=amparo-core ;;
    *) echo "unknown crate for $f"; continue ;;
  esac
  dir="$out/$(basename "$(dirname "$f")")-$(basename "$f" .rs)"
  rm -rf "$dir"
  cargo mutants --package "$pkg" --file "$f" --output "$dir" --timeout 120 --jobs 1 -- --lib >/dev/null 2>&1
  m="$dir/mutants.out"
  count() { [ -f "$m/$1" ] && wc -l < "$m/$1" || echo 0; }
  printf '%-45s %7s %7s %8s %9s\n' "$f" "$(count caught.txt)" "$(count missed.txt)" "$(count timeout.txt)" "$(count unviable.txt)"
  if [ -s "$m/missed.txt" ]; then sed 's/^/    missed: /' "$m/missed.txt"; fi
done
