#!/bin/sh
# Build a lab host kernel with everything the lab needs built in, the way
# harness/lab/README.md documents it:
#   make tinyconfig; merge lab.config with the kernel's merge_config.sh;
#   make olddefconfig; check every option of lab.config survived;
#   make bzImage modules (modules: Module.symvers for lockmap_inject.ko).
# --unfixed first applies patches/revert-periodic-timer-catchup-fix.patch
# (the positive control: KVM's periodic APIC timer catch-up before the fix of
# CVE-2025-71104).
#
# Each variant is one cache entry, keyed by a hash of the source, lab.config,
# the patch and this recipe's version:
#   $LOCKMAP_CACHE/kernel/<variant>-<key>/
#     src/        the source, extracted (and patched) once
#     build/      the O= tree: `lockmap lab --kernel .../bzImage` builds its
#                 module against it (no /lib/modules needed)
#     bzImage     the image; its path is the last line of standard output
#     build.log   make's output
# A second call with the same inputs prints the path at once.
set -eu

# Bumped when the steps below change what they build.
RECIPE=1
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/lab.config
patchfile=$here/patches/revert-periodic-timer-catchup-fix.patch
default_source=/usr/src/linux-source-6.1.tar.xz
cache=${LOCKMAP_CACHE:-/var/cache/lockmap}

usage() {
	cat <<EOF
usage: build-kernel.sh [--unfixed] [--source TARBALL|DIR] [--config FRAGMENT] [--jobs N]
  --unfixed      apply $(basename "$patchfile")
                 (LOCALVERSION -lab-unfixed; default -lab)
  --source SRC   a kernel source tarball or tree (default $default_source,
                 from Debian's linux-source-6.1, installed when missing);
                 a tree is built in place with O= and never patched
  --config FRAG  merge FRAG instead of lab.config (the lab needs what
                 lab.config has: start from a copy of it)
  --jobs N       make -jN (default: the number of cpus)
  --no-ccache    compile without ccache (default: CC="ccache gcc" when ccache
                 is installed, its cache in \$CCACHE_DIR, default
                 \$LOCKMAP_CACHE/ccache); an entry built before keeps the
                 CC of its first build (its file cc)
The image's path is the last line of standard output; progress goes to
standard error. Cache: \$LOCKMAP_CACHE (default /var/cache/lockmap).
EOF
}

die() {
	echo "build-kernel: error: $*" >&2
	exit 1
}

say() {
	echo "build-kernel: $*" >&2
}

unfixed=0
source=""
ccache=""
jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
	case $1 in
	--unfixed) unfixed=1 ;;
	--no-ccache) ccache=no ;;
	--source)
		[ $# -ge 2 ] || die "--source needs a tarball or a directory"
		source=$2
		shift ;;
	--config)
		[ $# -ge 2 ] || die "--config needs a fragment file"
		fragment=$2
		shift ;;
	--jobs)
		[ $# -ge 2 ] || die "--jobs needs a number"
		case $2 in '' | *[!0-9]* | 0) die "--jobs needs a number above 0, not '$2'" ;; esac
		jobs=$2
		shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
	shift
done

# ---- what the build needs ----
# Debian packages, installed when missing (as root), else named.
need_packages() {
	missing=""
	for p in "$@"; do
		case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages:$missing; install them as root: apt-get install$missing"
	say "installing:$missing"
	# shellcheck disable=SC2086 # the list is words
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2; then
		apt-get update -q >&2 || die "apt-get update failed"
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2 ||
			die "apt-get install$missing failed"
	fi
}

build_pkgs="gcc make bc bison flex libelf-dev libssl-dev dwarves xz-utils patch util-linux"
if [ -z "$source" ]; then
	source=$default_source
	# shellcheck disable=SC2086 # the list is words
	need_packages $build_pkgs linux-source-6.1
else
	# shellcheck disable=SC2086
	need_packages $build_pkgs
fi
# ccache when installed (a bisect revisits the same sources); see the entry's
# cc file below for an entry built before.
if [ "$ccache" = no ] || ! command -v ccache >/dev/null 2>&1; then
	ccache=""
else
	ccache=yes
fi
[ -e "$source" ] || die "no kernel source $source"
[ -f "$fragment" ] || die "no configuration fragment $fragment"
fragment=$(cd "$(dirname "$fragment")" && pwd)/$(basename "$fragment")
if [ "$unfixed" = 1 ]; then
	[ -f "$patchfile" ] || die "no patch $patchfile"
	[ -d "$source" ] && die "--unfixed patches the source, and $source is a tree that is not lockmap's to change: apply $patchfile to it yourself, or give a tarball"
	variant=lab-unfixed
else
	variant=lab
fi
# One spelling per path: a tree's entry is keyed by it, and `--source .` from
# inside the tree (git bisect run) must find the entry `--source /path` built.
if [ -d "$source" ]; then
	source=$(cd "$source" && pwd -P)
else
	source=$(cd "$(dirname "$source")" && pwd -P)/$(basename "$source")
fi

# ---- the entry ----
# A tarball is keyed by its contents. A tree is keyed by its path, so that its
# entry's O= tree is reused and make rebuilds only what changed (a bisect);
# the entry is current when the tree's git commit and uncommitted diff are
# those of its last build (a tree that is no git checkout is always rebuilt).
if [ -d "$source" ]; then
	if [ ! -f "$source/Makefile" ] || [ ! -f "$source/scripts/kconfig/merge_config.sh" ]; then
		die "$source is not a kernel source tree (no Makefile and scripts/kconfig/merge_config.sh)"
	fi
	srckey="tree $source"
	state=""
	if head=$(git -C "$source" rev-parse HEAD 2>/dev/null); then
		state="$head $(git -C "$source" diff HEAD | sha256sum)"
	fi
else
	srckey=$(sha256sum <"$source")
	state=tarball
fi
key=$({
	echo "recipe $RECIPE $variant"
	echo "$srckey"
	cat "$fragment"
	[ "$unfixed" = 0 ] || cat "$patchfile"
	gcc --version | head -n 1
} | sha256sum | cut -c1-16)
entry=$cache/kernel/$variant-$key
image=$entry/bzImage

mkdir -p "$cache/kernel" || die "cannot make $cache/kernel; set LOCKMAP_CACHE to a writable directory"
# One build of an entry at a time; a second caller waits for the first.
exec 9>"$entry.lock" || die "cannot write $entry.lock"
if ! flock -n 9; then
	say "another build of $entry is running; waiting for it"
	flock 9
fi
current=0
if [ -f "$entry/done" ] && [ -f "$image" ]; then
	if [ ! -d "$source" ]; then
		current=1
	elif [ -n "$state" ] && [ "$(cat "$entry/state" 2>/dev/null)" = "$state" ]; then
		current=1
	fi
fi
if [ "$current" = 1 ]; then
	say "cached: $(cat "$entry/release") ($entry)"
	echo "$image"
	exit 0
fi

start=$(date +%s)
log=$entry/build.log
mkdir -p "$entry"
rm -f "$entry/done"
: >"$log"
say "building the $variant kernel in $entry (log: $log)"

if [ -d "$source" ]; then
	srcdir=$source
else
	srcdir=$entry/src
	if [ ! -f "$srcdir/.lockmap-extracted" ]; then
		say "extracting $source"
		rm -rf "$srcdir"
		mkdir -p "$srcdir"
		tar -xf "$source" -C "$srcdir" --strip-components=1 ||
			die "cannot extract $source into $srcdir"
		[ -f "$srcdir/scripts/kconfig/merge_config.sh" ] ||
			die "$source does not hold a kernel source tree"
		if [ "$unfixed" = 1 ]; then
			say "applying $(basename "$patchfile")"
			if ! patch -p1 --forward --batch -d "$srcdir" <"$patchfile" >>"$log" 2>&1; then
				tail -n 20 "$log" >&2
				rm -rf "$srcdir"
				die "$(basename "$patchfile") does not apply to $source (this recipe was written for Debian's linux-source-6.1, 6.1.160 or later): see $log"
			fi
		fi
		touch "$srcdir/.lockmap-extracted"
	fi
fi
out=$entry/build
mkdir -p "$out"
# kbuild records CC in every object's .cmd file: a CC that differs from the
# last build's rebuilds everything. So an entry keeps the CC of its first build
# (its file cc), whether ccache was installed or removed since.
if [ -f "$entry/cc" ]; then
	case $(cat "$entry/cc") in
	"ccache gcc")
		command -v ccache >/dev/null 2>&1 ||
			die "$entry was built with ccache, which is not installed any more: install it, or remove $entry"
		ccache=yes ;;
	*) ccache="" ;;
	esac
else
	echo "${ccache:+ccache }gcc" >"$entry/cc"
fi
if [ -n "$ccache" ]; then
	CCACHE_DIR=${CCACHE_DIR:-$cache/ccache}
	export CCACHE_DIR
fi

kmake() {
	if [ -n "$ccache" ]; then
		set -- CC="ccache gcc" "$@"
	fi
	make -C "$srcdir" O="$out" "$@" >>"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		die "make $* failed; the whole log is $log"
	}
}

# ---- configuration ----
say "configuring: tinyconfig + $(basename "$fragment") + LOCALVERSION -$variant"
printf 'CONFIG_LOCALVERSION="-%s"\n# CONFIG_LOCALVERSION_AUTO is not set\n' "$variant" >"$entry/variant.config"
kmake tinyconfig
(cd "$out" && "$srcdir/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
	"$fragment" "$entry/variant.config") >>"$log" 2>&1 || die "merge_config.sh failed; see $log"
kmake olddefconfig
# Every option of the fragment as it came out: =n is "is not set" or absent.
lost=$(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' "$fragment" "$entry/variant.config" |
	while read -r opt want; do
		got=$(sed -n "s/^$opt=//p" "$out/.config")
		if [ "$want" = n ]; then
			[ -z "$got" ] || echo "$opt=$want (got $got)"
		elif [ "$got" != "$want" ]; then
			echo "$opt=$want (got ${got:-not set})"
		fi
	done)
if [ -n "$lost" ]; then
	echo "$lost" | sed 's/^/  /' >&2
	die "these options of $(basename "$fragment") did not survive make olddefconfig (a dependency is missing from the fragment, or the tree does not have them)"
fi
cp "$out/.config" "$entry/config"

# ---- build ----
say "make -j$jobs bzImage modules${ccache:+ (ccache, $CCACHE_DIR)}"
kmake -j"$jobs" bzImage modules
release=$(make -s -C "$srcdir" O="$out" kernelrelease 2>>"$log")
[ -n "$release" ] || die "make kernelrelease printed nothing; see $log"
cp "$out/arch/x86/boot/bzImage" "$image.tmp" || die "cannot copy the image into $entry"
mv "$image.tmp" "$image" || die "cannot rename $image.tmp"
echo "$release" >"$entry/release"
echo "$state" >"$entry/state"
touch "$entry/done"
say "built $release in $(($(date +%s) - start)) s"
echo "$image"
