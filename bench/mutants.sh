#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the rules that decide who may see what and who counts
# as a victim. Too slow for CI; run before changing those rules, and read the missed mutants
# it lists: each is a behaviour no test pins.
#
#   bench/mutants.sh [FILE…]     (default: the files below)
#
# Pure rules are mutated against their own crate's unit tests. Core's store-backed helpers
# (`require_visible`) cannot run without a database, so they are mutated against the
# integration tests that guard them: each mutant rebuilds the server and its tests (about 4
# minutes a mutant on two cores, after an 8-minute first build), so run those files alone:
#   bench/mutants.sh crates/core/src/usecases/visibility.rs
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
    crates/core/src/usecases/capabilities.rs
    crates/core/src/usecases/visibility.rs
  )
fi
out=bench/out/mutants
mkdir -p "$out"
printf '%-45s %7s %7s %8s %9s\n' file caught missed timeout unviable
for f in "${files[@]}"; do
  # What each file is tested with.
  case "$f" in
    crates/domain/*) args=(--package amparo-domain -- --lib) ;;
    crates/core/src/usecases/visibility.rs)
      args=(--package amparo-core --test-package amparo-core,amparo -- --
        --test-threads 2 usecases::visibility hardening::a_stranger_gets_the_same_not_found relations::) ;;
    crates/core/src/usecases/capabilities.rs)
      # The pure table by its unit tests; the service's own method by the menus each role sees.
      args=(--package amparo-core --test-package amparo-core,amparo -- --
        --test-threads 2 usecases::capabilities roles::) ;;
    crates/core/*) args=(--package amparo-core -- --lib) ;;
    *) echo "unknown crate for $f"; continue ;;
  esac
  dir="$out/$(basename "$(dirname "$f")")-$(basename "$f" .rs)"
  rm -rf "$dir"
  cargo mutants --file "$f" --output "$dir" --timeout 300 --jobs 1 "${args[@]}" >/dev/null 2>&1
  m="$dir/mutants.out"
  count() { [ -f "$m/$1" ] && wc -l < "$m/$1" || echo 0; }
  printf '%-45s %7s %7s %8s %9s\n' "$f" "$(count caught.txt)" "$(count missed.txt)" "$(count timeout.txt)" "$(count unviable.txt)"
  if [ -s "$m/missed.txt" ]; then sed 's/^/    missed: /' "$m/missed.txt"; fi
done
