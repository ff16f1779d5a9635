#!/usr/bin/env sh
# The chain's certificates for the staging compose: one CA (kept in secrets/ca, never mounted) and a
# directory per service holding only ca.pem and that service's certificate and key, mounted read-only
# at /etc/chaincard/tls. Needs the `chaincard` command (make install; or the image, see deploy.md).
set -eu
cd "$(dirname "$0")"
CHAINCARD=${CHAINCARD:-../../.venv/bin/chaincard}
"$CHAINCARD" certs init --dir secrets/ca --region E --region W --store S-E-001 \
    --host hq --host region-e --host region-w --host settlement --host store-s-e-001
for stem in hq settlement region-E region-W store-S-E-001; do
    mkdir -p "secrets/$stem"
    cp secrets/ca/ca.pem "secrets/ca/$stem.pem" "secrets/ca/$stem.key" "secrets/$stem/"
    # The services run as uid 10001 (deploy/Dockerfile): only they may read their key.
    chmod 0755 "secrets/$stem"
    chmod 0644 "secrets/$stem/ca.pem" "secrets/$stem/$stem.pem"
    chmod 0600 "secrets/$stem/$stem.key"
    chown 10001:10001 "secrets/$stem/$stem.key" 2>/dev/null || echo "run as root to hand secrets/$stem/$stem.key to uid 10001"
done
echo "certificates in $(pwd)/secrets (secrets/ca/ca.key signs new ones: keep it off the servers)"
