#!/usr/bin/env bash
# Rebuilds samples/rpmdb/ndb/Packages.db, rpm's NDB package database (the SUSE format), and
# samples/rpmdb/ndb/rpm-qa.txt, what that rpm prints for it: the oracle tests/rpm_databases.rs
# compares assay's NDB reader with. Debian's rpm has no ndb backend, so this builds rpm 4.18.0
# from Debian bookworm's source package (the upstream tarball as Debian ships it; Debian's
# patches only change packaging and are not applied) with --enable-ndb, then installs the
# packages of samples/rpmdb/specs/ (built with Debian's rpmbuild) with --justdb.
#
# Needs root for apt-get (build dependencies). Work files go to $WORK.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/assay-rpmdb-work}
# The source package comes from the Debian mirror apt is configured with.
MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2; exit}')
[ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
POOL="${MIRROR%/}/pool/main/r/rpm"
ORIG=rpm_4.18.0+dfsg.orig.tar.xz
ORIG_SHA256=d0d9c58c036bc6308de6e195e898c10bf53eaef6f962c48b403e7cd262f4eb4d
QF='%{NAME}\n%{EPOCH}\n%{VERSION}-%{RELEASE}\n%{ARCH}\n%{LICENSE}\n%{SOURCERPM}\n[%{REQUIRENAME}\n]--\n[%{PROVIDENAME}\n]--\n[%{FILENAMES}\n]==\n'

apt-get install -y --no-install-recommends rpm curl xz-utils gcc make pkg-config \
    liblua5.4-dev libpopt-dev libmagic-dev libgcrypt20-dev zlib1g-dev liblzma-dev >/dev/null

mkdir -p "$WORK"
cd "$WORK"
[ -f "$ORIG" ] || curl -sSfO "$POOL/$ORIG"
echo "$ORIG_SHA256  $ORIG" | sha256sum -c --quiet
RPM="$WORK/prefix/bin/rpm"
if [ ! -x "$RPM" ]; then
    rm -rf rpm-4.18.0
    tar xf "$ORIG"
    (cd rpm-4.18.0 &&
        ./configure --prefix="$WORK/prefix" --enable-ndb --enable-sqlite=no --disable-openmp \
            --disable-nls --disable-plugins --with-crypto=libgcrypt --enable-zstd=no \
            --without-archive >"$WORK/configure.log" &&
        make -j"$(nproc)" >"$WORK/make.log" 2>&1 &&
        make install >"$WORK/install.log" 2>&1)
fi
"$RPM" --showrc | grep -q 'available backends.*ndb'

# The packages, built as tests/rpm_databases.rs builds them (fixed build time and host).
rm -rf build db
export SOURCE_DATE_EPOCH=1700000000
for spec in "$HERE"/specs/*.spec; do
    rpmbuild --define "_topdir $WORK/build" --define '__os_install_post %{nil}' \
        --define 'debug_package %{nil}' --define 'use_source_date_epoch_as_buildtime 1' \
        --define '_buildhost assay.invalid' -bb "$spec" >/dev/null 2>&1
done
mkdir db
NDB=(--dbpath "$WORK/db" --define '_db_backend ndb')
"$RPM" "${NDB[@]}" --initdb
"$RPM" "${NDB[@]}" -i --justdb --nodeps --noscripts --ignorearch --ignoreos \
    build/RPMS/*/*.rpm

mkdir -p "$HERE/ndb"
cp db/Packages.db "$HERE/ndb/Packages.db"
"$RPM" "${NDB[@]}" -qa --qf "$QF" >"$HERE/ndb/rpm-qa.txt"
"$RPM" --version >"$HERE/ndb/rpm-version.txt"
echo "wrote $HERE/ndb: $(wc -c <"$HERE/ndb/Packages.db") bytes, $(grep -c '^==$' "$HERE/ndb/rpm-qa.txt") packages"
