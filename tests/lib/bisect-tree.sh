#!/bin/sh
# tests/lib/bisect-tree.sh DIR: make (once) the git repository tests/slow/bisect.sh
# bisects: Debian's linux-source-6.1 imported as the first commit, then five
# commits, the third of which applies the revert of the periodic-timer catch-up
# fix (harness/lab/patches/revert-periodic-timer-catchup-fix.patch). The other
# four touch only files no lab kernel build reads (documentation, CREDITS), so a
# bisect step rebuilds arch/x86/kvm/lapic.c at most, in place.
#
# Prints "GOOD BAD REVERT" (three commit ids) on standard output; progress on
# standard error. A DIR holding a complete repository (its tag
# lockmap-bisect-done) is used as it is. DIR must not be under /tmp, /run or
# /var/tmp (the kernel built from it boots the lab).
set -eu
[ $# -eq 1 ] || { echo "usage: bisect-tree.sh DIR" >&2; exit 2; }
dir=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
tarball=${LOCKMAP_BISECT_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
patchfile=$here/harness/lab/patches/revert-periodic-timer-catchup-fix.patch

say() { echo "bisect-tree: $*" >&2; }
die() { echo "bisect-tree: error: $*" >&2; exit 1; }

g() { git -C "$dir" -c user.name=lockmap -c user.email=lockmap@localhost "$@"; }

# commit FILE MESSAGE: append a line to FILE (a harmless change) and commit it.
commit() {
	echo "lockmap bisect test: $2" >>"$dir/$1"
	g add -f "$1"
	g commit -q -m "$2"
}

if ! g rev-parse -q --verify lockmap-bisect-done >/dev/null 2>&1; then
	[ -f "$tarball" ] || die "no $tarball (apt-get install linux-source-6.1)"
	say "making the repository in $dir from $tarball"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xf "$tarball" -C "$dir" --strip-components=1 || die "cannot extract $tarball"
	g init -q
	# No automatic gc: a repack of the 75000 files imported takes minutes.
	g config gc.auto 0
	g config maintenance.auto false
	# -f: Debian's .gitignore ignores every top-level path but debian/
	g add -A -f
	g commit -q -m "import $(basename "$tarball")"
	commit Documentation/admin-guide/README.rst "a line in the admin guide"
	commit CREDITS "a line in CREDITS"
	patch -p1 --forward --batch -d "$dir" <"$patchfile" >&2 || die "the revert does not apply"
	g add -f arch/x86/kvm/lapic.c
	g commit -q -m "KVM: x86: revert the periodic APIC timer catch-up fix"
	commit Documentation/virt/kvm/api.rst "a line in the KVM API document"
	commit MAINTAINERS "a line in MAINTAINERS"
	g tag lockmap-bisect-done
fi
echo "$(g rev-list --max-parents=0 HEAD) $(g rev-parse HEAD)" \
	"$(g log --format=%H --grep='revert the periodic APIC timer catch-up fix' -n 1)"
