"""First half of the KMS restart test: keys (one rotated, one disabled), an alias, a grant,
a policy, and ciphertexts written to the data directory. kms_restart_check.py decrypts
them after the server was killed and restarted."""
import base64
import json
import os

from edgeward_env import CUSTOMER, DATA_DIR, VENDOR, client

kms = client("kms", CUSTOMER)
key = kms.create_key(Description="kept", Tags=[{"TagKey": "k", "TagValue": "v"}])["KeyMetadata"]
kms.create_alias(AliasName="alias/kept", TargetKeyId=key["KeyId"])
old = kms.encrypt(KeyId="alias/kept", Plaintext=b"before rotation", EncryptionContext={"a": "b"})["CiphertextBlob"]
kms.rotate_key_on_demand(KeyId=key["KeyId"])
new = kms.encrypt(KeyId="alias/kept", Plaintext=b"after rotation")["CiphertextBlob"]
grant = kms.create_grant(KeyId=key["Arn"], GranteePrincipal=f"arn:aws:iam::{VENDOR}:root", Operations=["DescribeKey"])["GrantId"]
off = kms.create_key(Description="off")["KeyMetadata"]["KeyId"]
kms.disable_key(KeyId=off)
# An ECC_NIST_P256 signing key: its public key and a signature made before the restart.
signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
public = kms.get_public_key(KeyId=signer)["PublicKey"]
signature = kms.sign(KeyId=signer, Message=b"signed before", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
with open(os.path.join(DATA_DIR, "..", os.path.basename(DATA_DIR) + "-kms.json"), "w") as f:
    json.dump({"arn": key["Arn"], "old": base64.b64encode(old).decode(), "new": base64.b64encode(new).decode(), "grant": grant, "off": off,
               "signer": signer, "public": base64.b64encode(public).decode(), "signature": base64.b64encode(signature).decode()}, f)
# No plaintext key material on disk: the root key file is private.
mode = os.stat(os.path.join(DATA_DIR, "root-key")).st_mode & 0o777
assert mode == 0o600, oct(mode)
print("kms_restart_setup: ok")
