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
url="$(printf '%s' "$url" | sed 's/^postgresql+psycopg:/postgresql:/')"  # SQLAlchemy's name → libpq's

mkdir -p "$folder"
file="$folder/campaign-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --no-acl --file="$file.partial" "$url"
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
