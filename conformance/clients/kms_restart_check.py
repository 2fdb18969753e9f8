"""Second half of the KMS restart test: everything kms_restart_setup.py made is back, and
ciphertexts from before the restart (and before the rotation) decrypt."""
import base64
import json
import os

from edgeward_env import CUSTOMER, DATA_DIR, client, error_code

with open(os.path.join(DATA_DIR, "..", os.path.basename(DATA_DIR) + "-kms.json")) as f:
    kept = json.load(f)
kms = client("kms", CUSTOMER)
assert kms.describe_key(KeyId="alias/kept")["KeyMetadata"]["Arn"] == kept["arn"]
assert kms.decrypt(CiphertextBlob=base64.b64decode(kept["old"]), EncryptionContext={"a": "b"})["Plaintext"] == b"before rotation"
assert kms.decrypt(CiphertextBlob=base64.b64decode(kept["new"]))["Plaintext"] == b"after rotation"
assert len(kms.list_key_rotations(KeyId=kept["arn"])["Rotations"]) == 1
assert [g["GrantId"] for g in kms.list_grants(KeyId=kept["arn"])["Grants"]] == [kept["grant"]]
assert kms.list_resource_tags(KeyId=kept["arn"])["Tags"] == [{"TagKey": "k", "TagValue": "v"}]
assert kms.describe_key(KeyId=kept["off"])["KeyMetadata"]["KeyState"] == "Disabled"
assert error_code(kms.encrypt, KeyId=kept["off"], Plaintext=b"x") == "DisabledException"
# The signing key is back with the same key pair.
assert kms.get_public_key(KeyId=kept["signer"])["PublicKey"] == base64.b64decode(kept["public"])
assert kms.verify(KeyId=kept["signer"], Message=b"signed before", Signature=base64.b64decode(kept["signature"]),
                  SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
after = kms.sign(KeyId=kept["signer"], Message=b"signed after", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
assert kms.verify(KeyId=kept["signer"], Message=b"signed after", Signature=after, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
print("kms_restart_check: ok")
