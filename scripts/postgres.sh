# A throwaway PostgreSQL cluster for the tests, from Debian's packages: sourced by
# test-all.sh, or by hand (`source scripts/postgres.sh && postgres_start`). It lives in a
# temp dir, listens on a free loopback port only, and `postgres_stop` removes it.
# postgres_start exports KMIP_TEST_POSTGRES_URL, which the PostgreSQL tests connect to.

# The newest server's bin dir (a client-only install has psql there, but no initdb).
postgres_bin() {
  ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname
}

postgres_start() {
  if [ -z "$(postgres_bin)" ]; then
    echo "postgres: installing the server from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
  fi
  local bin user
  bin="$(postgres_bin)"
  # initdb refuses to run as root; Debian's package made the postgres user for this.
  user="$(id -un)"
  [ "$user" = root ] && user=postgres
  KMIP_PG_DIR="$(mktemp -d /tmp/kmip-pg.XXXXXX)"
  chown "$user" "$KMIP_PG_DIR"
  local as=(runuser -u "$user" --)
  [ "$(id -un)" = "$user" ] && as=()
  "${as[@]}" "$bin/initdb" -D "$KMIP_PG_DIR/data" -U kmip --auth=trust -E UTF8 >/dev/null
  # TLS with the dev PKI's server certificate (localhost, 127.0.0.1), for the TLS test; the
  # key must be the server user's own and private.
  local certs
  certs="$(cd "$(dirname "${BASH_SOURCE[0]}")/../certs" && pwd)"
  cp "$certs/server.pem" "$certs/server.key" "$KMIP_PG_DIR/"
  chown "$user" "$KMIP_PG_DIR/server.pem" "$KMIP_PG_DIR/server.key"
  chmod 600 "$KMIP_PG_DIR/server.key"
  KMIP_PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # A short deadlock_timeout makes the deadlock-retry test quick.
  local options="-c listen_addresses=127.0.0.1 -p $KMIP_PG_PORT -k $KMIP_PG_DIR -c max_connections=200"
  options+=" -c deadlock_timeout=50ms"
  options+=" -c ssl=on -c ssl_cert_file=$KMIP_PG_DIR/server.pem -c ssl_key_file=$KMIP_PG_DIR/server.key"
  "${as[@]}" "$bin/pg_ctl" -D "$KMIP_PG_DIR/data" -l "$KMIP_PG_DIR/log" -w start -o "$options" >/dev/null
  KMIP_PG_AS=("${as[@]}")
  export KMIP_TEST_POSTGRES_URL="postgresql://kmip@127.0.0.1:$KMIP_PG_PORT/postgres"
  echo "postgres: a throwaway cluster at $KMIP_TEST_POSTGRES_URL ($KMIP_PG_DIR)"
}

postgres_stop() {
  [ -n "${KMIP_PG_DIR:-}" ] || return 0
  "${KMIP_PG_AS[@]}" "$(postgres_bin)/pg_ctl" -D "$KMIP_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$KMIP_PG_DIR"
  KMIP_PG_DIR=""
}
