#!/bin/sh
# A backup of the campaign's database: pg_dump in its custom format (compressed; pg_restore can
# restore it whole or in parts). README, "Production", has the restore procedure; `make deploy-test`
# dumps a running site with this script, restores it into a new database and compares the two.
#
#   deploy/backup.sh FOLDER     # FLASK_SQLALCHEMY_DATABASE_URI in the environment: all it reads
#
# Run it from campaign-backup.service (deploy/systemd/, daily by campaign-backup.timer), which hands
# it /etc/campaign/campaign.env as systemd reads it: KEY=value lines, never run as shell, so a
# password holding `;`, spaces or `$` arrives whole. Never read that file into a shell to run it.
#
# The dump is not enough on its own: it holds no key. Without the keys below, a restored database
# still serves the public list, but cannot be written to safely (duplicates go unseen without the
# email hash key) and its sealed addresses cannot be opened (the private key is kept offline).
set -eu

folder="${1:?usage: deploy/backup.sh FOLDER}"
url="${FLASK_SQLALCHEMY_DATABASE_URI:?set FLASK_SQLALCHEMY_DATABASE_URI (as in /etc/campaign/campaign.env)}"

# pg_dump gets the connection through libpq's environment (PGHOST, PGPASSWORD, …), never its command
# line: any local user reads a process's arguments in `ps`, while its environment (/proc/PID/environ)
# is the campaign user's and root's alone, who read campaign.env anyway. The URL is taken apart here
# as libpq would: postgresql://[user[:password]@][host][:port][/database][?keyword=value&…], each part
# percent-decoded; a socket folder may stand as the host, percent-encoded, or as ?host=/run/postgresql.
# What the URL leaves out, libpq takes from the environment or its defaults, as it did from the URL.
fail() { echo "deploy/backup.sh: $*" >&2; exit 2; }

# Percent-decoding, byte by byte (LC_ALL=C), with a sentinel so a trailing newline survives $(…).
decode() {
    decoded="$(printf '%s' "$1" | LC_ALL=C awk 'BEGIN { RS = "\001"; hex = "0123456789abcdef" }
        { out = ""; n = length($0)
          for (i = 1; i <= n; i++) {
              c = substr($0, i, 1); high = index(hex, tolower(substr($0, i + 1, 1)))
              low = index(hex, tolower(substr($0, i + 2, 1)))
              if (c == "%" && i + 2 <= n && high && low) { out = out sprintf("%c", (high - 1) * 16 + low - 1); i += 2 }
              else out = out c
          }
          printf "%s", out }'; printf x)"
    decoded="${decoded%x}"
}

case "$url" in
    postgresql+psycopg://* | postgresql://* | postgres://*) rest="${url#*://}" ;;
    *) fail "FLASK_SQLALCHEMY_DATABASE_URI is not a postgresql:// URL" ;;
esac
query=""
case "$rest" in *\?*) query="${rest#*\?}"; rest="${rest%%\?*}" ;; esac
authority="${rest%%/*}"
case "$rest" in */*) decode "${rest#*/}"; [ -z "$decoded" ] || export PGDATABASE="$decoded" ;; esac
case "$authority" in
    *@*)
        userinfo="${authority%@*}"; authority="${authority##*@}"
        case "$userinfo" in *:*) decode "${userinfo#*:}"; export PGPASSWORD="$decoded" ;; esac
        decode "${userinfo%%:*}"; [ -z "$decoded" ] || export PGUSER="$decoded"
        ;;
esac
case "$authority" in
    *,*) fail "several hosts in FLASK_SQLALCHEMY_DATABASE_URI: back up from one" ;;
    \[*\]:*) host="${authority%%]*}"; host="${host#\[}"; port="${authority##*]:}" ;;   # [IPv6]:port
    \[*\]) host="${authority#\[}"; host="${host%]}"; port="" ;;
    *:*) host="${authority%:*}"; port="${authority##*:}" ;;
    *) host="$authority"; port="" ;;
esac
decode "$host"; [ -z "$decoded" ] || export PGHOST="$decoded"
[ -z "$port" ] || export PGPORT="$port"

# Keywords in the query, each to its libpq variable; one this script does not know stops it rather
# than being dropped (a dump made without `sslmode=verify-full` would be a quiet downgrade).
remaining="$query"
while [ -n "$remaining" ]; do
    pair="${remaining%%&*}"
    case "$remaining" in *\&*) remaining="${remaining#*&}" ;; *) remaining="" ;; esac
    [ -n "$pair" ] || continue
    keyword="${pair%%=*}"
    case "$pair" in *=*) decode "${pair#*=}" ;; *) decoded="" ;; esac
    case "$keyword" in
        host) export PGHOST="$decoded" ;;
        hostaddr) export PGHOSTADDR="$decoded" ;;
        port) export PGPORT="$decoded" ;;
        user) export PGUSER="$decoded" ;;
        password) export PGPASSWORD="$decoded" ;;
        dbname) export PGDATABASE="$decoded" ;;
        passfile) export PGPASSFILE="$decoded" ;;
        service) export PGSERVICE="$decoded" ;;
        options) export PGOPTIONS="$decoded" ;;
        application_name) export PGAPPNAME="$decoded" ;;
        connect_timeout) export PGCONNECT_TIMEOUT="$decoded" ;;
        sslmode) export PGSSLMODE="$decoded" ;;
        sslrootcert) export PGSSLROOTCERT="$decoded" ;;
        sslcert) export PGSSLCERT="$decoded" ;;
        sslkey) export PGSSLKEY="$decoded" ;;
        sslcrl) export PGSSLCRL="$decoded" ;;
        sslnegotiation) export PGSSLNEGOTIATION="$decoded" ;;
        channel_binding) export PGCHANNELBINDING="$decoded" ;;
        gssencmode) export PGGSSENCMODE="$decoded" ;;
        krbsrvname) export PGKRBSRVNAME="$decoded" ;;
        require_auth) export PGREQUIREAUTH="$decoded" ;;
        target_session_attrs) export PGTARGETSESSIONATTRS="$decoded" ;;
        *) fail "FLASK_SQLALCHEMY_DATABASE_URI: ?$keyword= is not passed on by this script; add it here" ;;
    esac
done

mkdir -p "$folder"
file="$folder/campaign-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --no-acl --file="$file.partial"
mv "$file.partial" "$file"
echo "$file"

cat >&2 <<'KEYS'
Keep these elsewhere, not beside the dump, for as long as the dump is kept; a restore needs them:
  FLASK_SECRET_KEY       sessions and form tokens (a new one only logs everyone out)
  FLASK_EMAIL_HASH_KEY   finds an address already on the list; without it duplicates go unseen
  FLASK_CLIENT_HASH_KEY  the networks moderators are warned about
  FLASK_SEAL_PUBLIC_KEY  seals new addresses
  the sealing private key (offline, from `flask --app wsgi keys generate`): the only way to open
                         the sealed addresses, for exports and updates
KEYS
