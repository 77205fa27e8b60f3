#!/bin/sh
# tests/tools/yamlq.c, the YAML checker of harness_samples.sh, built with
# ASan+UBSan (make unit): what it prints at a path and its exit codes (0; 1 no
# such path or more than scalars there; 2 usage, or not one plain YAML
# document), and broken and hostile YAML (unclosed, bad indentation, invalid
# UTF-8, a NUL byte, two documents, a key twice, aliases: a cycle and a billion
# laughs, 200000 nested sequences) refused with exit 2 and a message, never a
# sanitizer report, a crash or minutes of parsing. TAP. YAMLQ runs another
# yamlq.
set -u
cd "$(dirname "$0")/../.." || exit 2
yamlq=${YAMLQ:-build-san/tests/yamlq}
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh

if [ ! -x "$yamlq" ]; then
  skip "yamlq under ASan+UBSan" "$yamlq missing: run make unit (needs libyaml-dev)"
  exit 0
fi
e2e_tmp
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=exitcode=99

# q PATH FILE: run yamlq, its output in $tmp/out and $tmp/err, its exit code in rc.
q() {
  timeout 20 "$yamlq" "$1" "$2" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  sed 's/^/# /' "$tmp/err"
}
# no_sanitizer: yamlq's stderr holds no sanitizer report.
# shellcheck disable=SC2317 # called in the conditions check evals
no_sanitizer() { ! grep -q -e Sanitizer -e 'runtime error' "$tmp/err"; }

cat >"$tmp/ok.yaml" <<'EOF'
# a comment
spec:
  n: 4
  "quoted key": "a: b"
  list: [x, "y z", '']
  items:
    - name: one
      path: /a
    - name: two
    - {name: three, path: /c}
  empty: []
  block: |
    line 1
    line 2
EOF
q spec.n "$tmp/ok.yaml"
check "a scalar at a path is printed on a line (got rc $rc)" \
  "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = 4 ] && [ ! -s '$tmp/err' ]"
q .spec.list "$tmp/ok.yaml"
check "a sequence of scalars, an item a line (a leading dot allowed)" \
  "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = \"\$(printf 'x\ny z\n\n')\" ] && [ \$(wc -l <'$tmp/out') -eq 3 ]"
q 'spec.quoted key' "$tmp/ok.yaml"
check "a quoted key, a quoted value kept as it is" "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = 'a: b' ]"
q 'spec.items[2].path' "$tmp/ok.yaml"
check "an index into a sequence, a flow mapping in it" "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = /c ]"
q 'spec.items[*].path' "$tmp/ok.yaml"
check "[*] takes every item that has the rest of the path" \
  "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = \"\$(printf '/a\n/c')\" ]"
q spec.block "$tmp/ok.yaml"
check "a block scalar, its lines as they are" "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = \"\$(printf 'line 1\nline 2')\" ]"
q spec.empty "$tmp/ok.yaml"
check "an empty sequence prints nothing and exits 0" "[ $rc -eq 0 ] && [ ! -s '$tmp/out' ]"
for p in spec.nope 'spec.items[3]' 'spec.items[99999999999999999999999]' 'spec.n.x' 'spec[0]' \
  'spec.list[*].x' 'spec.items[*].nope'; do
  q "$p" "$tmp/ok.yaml"
  check "no $p: exit 1 and says so (got rc $rc)" \
    "[ $rc -eq 1 ] && [ ! -s '$tmp/out' ] && grep -q 'no .* in it' '$tmp/err'"
done
for p in spec spec.items 'spec.items[1]'; do
  q "$p" "$tmp/ok.yaml"
  check "$p holds a mapping: exit 1 and says so (got rc $rc)" \
    "[ $rc -eq 1 ] && grep -q 'holds more than scalars' '$tmp/err'"
done
for p in '' . 'a..b' 'a.' 'a[' 'a[x]' 'a[-1]' '[]' 'a]'; do
  q "$p" "$tmp/ok.yaml"
  check "path '$p' is a usage error: exit 2 (got rc $rc)" "[ $rc -eq 2 ] && grep -q '^usage' '$tmp/err'"
done
q spec "$tmp/missing.yaml"
check "a missing file: exit 2 and says so (got rc $rc)" "[ $rc -eq 2 ] && grep -q 'No such file' '$tmp/err'"

# --- broken and hostile YAML: exit 2 with a message naming the file -----------
printf 'a: [1, 2\n' >"$tmp/unclosed.yaml"
printf 'a:\n  b: 1\n c: 2\n' >"$tmp/indent.yaml"
printf '\ta: 1\n' >"$tmp/tab.yaml"
printf 'a: "\\x"\n' >"$tmp/escape.yaml"
printf "a: 'x\n" >"$tmp/quote.yaml"
printf 'a: \377\376\n' >"$tmp/utf8.yaml"
printf 'a: 1\000b: 2\n' >"$tmp/nul.yaml"
: >"$tmp/empty.yaml"
printf '# nothing but a comment\n' >"$tmp/comment.yaml"
printf 'a: 1\n---\na: 2\n' >"$tmp/twodocs.yaml"
printf 'a: 1\n--- ]\n' >"$tmp/badsecond.yaml"
printf 'a: 1\na: 2\n' >"$tmp/dupkey.yaml"
printf 'a: &x [1]\nb: *x\n' >"$tmp/alias.yaml"
printf 'a: *nope\n' >"$tmp/undefined.yaml"
printf '&a [*a]\n' >"$tmp/cycle.yaml"
printf '&m {a: *m}\n' >"$tmp/cyclemap.yaml"
{
  printf 'a: &l0 [x, x, x, x, x, x, x, x, x, x]\n'
  for i in 1 2 3 4 5 6 7 8; do
    printf 'l%s: &l%s [*l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s, *l%s]\n' \
      "$i" "$i" $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) $((i - 1)) \
      $((i - 1)) $((i - 1)) $((i - 1))
  done
} >"$tmp/laughs.yaml"
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "["; for (i = 0; i < 200000; i++) printf "]"; print "" }' \
  >"$tmp/deep.yaml"
awk 'BEGIN { for (i = 0; i < 65; i++) printf "{a: "; printf "x"; for (i = 0; i < 65; i++) printf "}"; print "" }' \
  >"$tmp/deep65.yaml"
for f in unclosed indent tab escape quote utf8 nul empty comment twodocs badsecond dupkey alias \
  undefined cycle cyclemap laughs deep deep65; do
  q 'a[0]' "$tmp/$f.yaml"
  check "$f.yaml: exit 2, a message naming it, no sanitizer report (got rc $rc)" \
    "[ $rc -eq 2 ] && grep -q '$tmp/$f.yaml' '$tmp/err' && no_sanitizer"
done
awk 'BEGIN { for (i = 0; i < 64; i++) printf "{a: "; printf "x"; for (i = 0; i < 64; i++) printf "}"; print "" }' \
  >"$tmp/deep64.yaml"
q "$(awk 'BEGIN { for (i = 0; i < 63; i++) printf "a."; printf "a" }')" "$tmp/deep64.yaml"
check "64 levels deep is read (got rc $rc)" "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = x ]"
# Inputs libyaml 0.2.5 takes, valid or not: no crash, no report.
for s in '[?]]' '[{?}]' '{? : }' '? ? ? ?' '!<tag:x> {a: [1]}' '[[[[]]]]'; do
  printf '%s\n' "$s" >"$tmp/odd.yaml"
  q 'a[0]' "$tmp/odd.yaml"
  check "'$s': exit 0, 1 or 2, no sanitizer report (got rc $rc)" "[ $rc -le 2 ] && no_sanitizer"
done
exit 0
