# SPDX-License-Identifier: GPL-2.0
# The base tree: Debian's linux-source-6.12, unpacked once into the cache
# (the pristine tree), then a build tree = pristine + our new files +
# patches/series, re-laid idempotently on every run.
#
# Cache layout ($PHYR_CACHE):
#   src/VERSION/pristine/     unpacked tarball; .phyr-complete written last
#                             ($PHYR_SRC_CACHE overrides src/)
#   build/VERSION/tree/       hard-linked copy of pristine, our files laid on
#   build/VERSION/stage/      scratch: the files we own, as they must be
#   build/VERSION/out-CONFIG/ O= build directories
#   ccache/                   CCACHE_DIR

# pinned_version - the version named in harness/kernel-version.
pinned_version() {
	grep -v '^#' "$PHYR_HARNESS/kernel-version" | grep -m1 .
}

# served_versions - every linux-source-6.12 version apt knows, newest first.
served_versions() {
	apt-cache madison linux-source-6.12 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'
}

# resolve_version - print the version to use, installing it when needed.
resolve_version() {
	local pinned installed v
	pinned=$(pinned_version)
	[ -n "$pinned" ] || die "no version in $PHYR_HARNESS/kernel-version"
	if [ -f "$PHYR_SRC_CACHE/$pinned/pristine/.phyr-complete" ]; then
		echo "$pinned"
		return
	fi
	installed=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
	if [ "$installed" != "$pinned" ]; then
		say "looking for linux-source-6.12=$pinned (apt-get update)"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
			warn "apt-get update failed; using what apt already knows"
		if served_versions | grep -qxF "$pinned"; then
			v=$pinned
		else
			v=$(served_versions | grep '^6\.12\.' | head -n1)
			[ -n "$v" ] || die "no linux-source-6.12 is served and $pinned is not cached"
			warn "pinned linux-source-6.12 $pinned is no longer served;" \
				"falling back to the newest 6.12.y, $v"
			if [ -f "$PHYR_SRC_CACHE/$v/pristine/.phyr-complete" ]; then
				echo "$v"
				return
			fi
		fi
		if [ "$installed" != "$v" ]; then
			say "apt-get install linux-source-6.12=$v"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--allow-downgrades --no-install-recommends \
				"linux-source-6.12=$v" >/dev/null ||
				die "apt-get install linux-source-6.12=$v failed"
		fi
	else
		v=$pinned
	fi
	echo "$v"
}

# ensure_pristine VERSION - unpack the tarball unless a complete copy exists.
# An interrupted unpack leaves pristine.tmp.* or a pristine/ without the
# marker; both are detected, removed and redone.
ensure_pristine() {
	local v=$1 dir="$PHYR_SRC_CACHE/$1" tarball=/usr/src/linux-source-6.12.tar.xz
	local t0 tmp have

	if [ -f "$dir/pristine/.phyr-complete" ] &&
	   [ "$(cat "$dir/pristine/.phyr-complete")" = "$v" ]; then
		return 0
	fi
	mkdir -p "$dir"
	rm -rf "$dir"/pristine.tmp.*
	if [ -d "$dir/pristine" ]; then
		warn "$dir/pristine is incomplete (interrupted unpack?); unpacking again"
		rm -rf "$dir/pristine"
	fi
	have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
	[ "$have" = "$v" ] || die "linux-source-6.12 $have is installed, not $v"
	[ -f "$tarball" ] || die "$tarball is missing"
	say "unpacking linux-source-6.12 $v into $dir/pristine"
	t0=$(now_s)
	tmp=$(mktemp -d "$dir/pristine.tmp.XXXXXX")
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 ||
		die "unpacking $tarball failed"
	echo "$v" > "$tmp/.phyr-complete"
	mv "$tmp" "$dir/pristine"
	say "unpacked in $(elapsed "$t0") s"
}

# our_kernel_files - repository files that live at kernel paths.
our_kernel_files() {
	(cd "$PHYR_ROOT" && git ls-files -co --exclude-standard) |
		grep -vE '^(harness/|patches/|\.ci/|\.git|README\.md$|phyr$)' |
		while read -r f; do [ -f "$PHYR_ROOT/$f" ] && echo "$f"; done
}

# series_patches - the patch files of patches/series, in order.
series_patches() {
	[ -f "$PHYR_ROOT/patches/series" ] || return 0
	grep -vE '^[[:space:]]*(#|$)' "$PHYR_ROOT/patches/series" |
		awk '{ print $1 }'
}

# patch_paths PATCH - the tree paths a -p1 patch touches.
patch_paths() {
	awk '/^(\+\+\+|---) / {
		p = $2; sub(/\t.*/, "", p)
		if (p == "/dev/null") next
		sub(/^[ab]\//, "", p); print p
	}' "$1" | sort -u
}

# lay_tree VERSION - bring build/VERSION/tree to pristine + files + series.
# Only files whose content changes are rewritten (with a fresh mtime), so
# make rebuilds just what changed; files we stopped owning are restored
# from pristine or deleted.  Files are always replaced by rename, never
# written in place, so the hard links to pristine stay intact.
lay_tree() {
	local v=$1 pristine="$PHYR_SRC_CACHE/$1/pristine"
	local base="$PHYR_CACHE/build/$1" tree stage p f n=0 t0
	tree=$base/tree
	stage=$base/stage
	t0=$(now_s)

	if [ ! -f "$tree/.phyr-tree" ]; then
		say "creating build tree $tree"
		rm -rf "$tree" "$tree.tmp"
		mkdir -p "$base"
		cp -al "$pristine" "$tree.tmp" || die "cp -al failed"
		: > "$tree.tmp/.phyr-manifest"
		echo "$v" > "$tree.tmp/.phyr-tree"
		mv "$tree.tmp" "$tree"
	fi

	rm -rf "$stage"
	mkdir -p "$stage"
	: > "$base/touched.new"
	# Pristine copies of everything the series touches.
	for p in $(series_patches); do
		[ -f "$PHYR_ROOT/patches/$p" ] || die "patches/series names $p, which does not exist"
		for f in $(patch_paths "$PHYR_ROOT/patches/$p"); do
			echo "$f" >> "$base/touched.new"
			if [ -f "$pristine/$f" ] && [ ! -e "$stage/$f" ]; then
				mkdir -p "$stage/$(dirname "$f")"
				cp "$pristine/$f" "$stage/$f"
			fi
		done
	done
	# Our new files.
	while read -r f; do
		[ -e "$pristine/$f" ] &&
			die "$f exists upstream: change it with a patch in patches/, not a copy"
		echo "$f" >> "$base/touched.new"
		mkdir -p "$stage/$(dirname "$f")"
		cp "$PHYR_ROOT/$f" "$stage/$f"
	done < <(our_kernel_files)
	# The series, in order.
	for p in $(series_patches); do
		patch -p1 -s -f --no-backup-if-mismatch -d "$stage" \
			-i "$PHYR_ROOT/patches/$p" >"$base/patch.log" 2>&1 || {
			cat "$base/patch.log" >&2
			die "patches/$p does not apply"
		}
	done
	find "$stage" -name '*.rej' -o -name '*.orig' | grep -q . &&
		die "stray .rej/.orig files after applying the series"

	sort -u "$base/touched.new" -o "$base/touched.new"
	# Everything touched now or last time: make the tree match.
	while read -r f; do
		if grep -qxF "$f" "$base/touched.new"; then
			if [ -f "$stage/$f" ]; then
				if ! cmp -s "$stage/$f" "$tree/$f"; then
					mkdir -p "$tree/$(dirname "$f")"
					cp "$stage/$f" "$tree/$f.phyr-tmp" && mv -f "$tree/$f.phyr-tmp" "$tree/$f"
					n=$((n + 1))
				fi
			elif [ -e "$tree/$f" ]; then
				rm -f "$tree/$f"	# deleted by a patch
				n=$((n + 1))
			fi
		elif [ -f "$pristine/$f" ]; then
			if ! cmp -s "$pristine/$f" "$tree/$f"; then
				cp "$pristine/$f" "$tree/$f.phyr-tmp" && mv -f "$tree/$f.phyr-tmp" "$tree/$f"
				n=$((n + 1))
			fi
		elif [ -e "$tree/$f" ]; then
			rm -f "$tree/$f"	# no longer ours, not upstream
			n=$((n + 1))
		fi
	done < <(sort -u "$tree/.phyr-manifest" "$base/touched.new")
	mv -f "$base/touched.new" "$tree/.phyr-manifest"
	say "laid $(series_patches | wc -l) patches and $(our_kernel_files | wc -l) files on $tree ($n changed, $(elapsed "$t0") s)"
}

# prepare_tree - resolve, unpack and lay; sets PHYR_VERSION and PHYR_TREE.
prepare_tree() {
	ensure_packages
	PHYR_VERSION=$(resolve_version) || exit 1
	ensure_pristine "$PHYR_VERSION"
	lay_tree "$PHYR_VERSION"
	PHYR_TREE=$PHYR_CACHE/build/$PHYR_VERSION/tree
	PHYR_BUILD=$PHYR_CACHE/build/$PHYR_VERSION
}
