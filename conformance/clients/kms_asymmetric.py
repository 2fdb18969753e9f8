"""KMS asymmetric signing keys (ECC_NIST_P256, SIGN_VERIFY) and data key pairs through boto3,
with every signature and key also checked independently of edgeward by the `cryptography`
package: DescribeKey and GetPublicKey (DER SubjectPublicKeyInfo), Sign with RAW and DIGEST
messages (DER ECDSA), Verify (valid, and KMSInvalidSignatureException), wrong key usage,
rotation refused, a key policy denying kms:Sign to a role while allowing kms:Verify (and the
other way round), GenerateDataKeyPair(WithoutPlaintext) whose private key ciphertext Decrypt
opens to the PKCS #8 key of the returned public key, and the trail keeping messages out."""
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from edgeward_env import CUSTOMER, client, error_code

kms = client("kms", CUSTOMER)
iam = client("iam", CUSTOMER)
ECDSA = ec.ECDSA(hashes.SHA256())
PREHASHED = ec.ECDSA(utils.Prehashed(hashes.SHA256()))


def der_public(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- create and describe ---
meta = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description="signer",
                      Tags=[{"TagKey": "team", "TagValue": "sig"}])["KeyMetadata"]
arn = meta["Arn"]
assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == "ECC_NIST_P256"
assert meta["KeyUsage"] == "SIGN_VERIFY" and meta["SigningAlgorithms"] == ["ECDSA_SHA_256"]
assert "EncryptionAlgorithms" not in meta and meta["KeyState"] == "Enabled"
kms.create_alias(AliasName="alias/signer", TargetKeyId=meta["KeyId"])
described = kms.describe_key(KeyId="alias/signer")["KeyMetadata"]
assert described["Arn"] == arn and described["SigningAlgorithms"] == ["ECDSA_SHA_256"]
legacy = kms.create_key(CustomerMasterKeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
assert legacy["KeySpec"] == "ECC_NIST_P256"
assert error_code(kms.create_key, KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT") == "ValidationException"
assert error_code(kms.create_key, KeySpec="ECC_NIST_P256") == "ValidationException"
assert error_code(kms.create_key, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY") == "NotImplemented"

# --- the public key, checked by cryptography ---
pk = kms.get_public_key(KeyId="alias/signer")
assert pk["KeyId"] == arn and pk["KeySpec"] == "ECC_NIST_P256" and pk["KeyUsage"] == "SIGN_VERIFY"
assert pk["SigningAlgorithms"] == ["ECDSA_SHA_256"] and "EncryptionAlgorithms" not in pk
public = serialization.load_der_public_key(pk["PublicKey"])
assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
assert der_public(public) == pk["PublicKey"]

# --- Sign RAW and DIGEST; verify outside edgeward and through it ---
message = b"job 42 result: ok"
digest = hashlib.sha256(message).digest()
raw = kms.sign(KeyId=arn, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
assert raw["KeyId"] == arn and raw["SigningAlgorithm"] == "ECDSA_SHA_256"
public.verify(raw["Signature"], message, ECDSA)
dig = kms.sign(KeyId="alias/signer", Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
public.verify(dig["Signature"], message, ECDSA)
public.verify(dig["Signature"], digest, PREHASHED)
try:
    public.verify(raw["Signature"], b"job 42 result: failed", ECDSA)
    raise AssertionError("a signature verified another message")
except InvalidSignature:
    pass
ok = kms.verify(KeyId=arn, Message=message, Signature=dig["Signature"], SigningAlgorithm="ECDSA_SHA_256")
assert ok["SignatureValid"] is True and ok["KeyId"] == arn and ok["SigningAlgorithm"] == "ECDSA_SHA_256"
assert kms.verify(KeyId="alias/signer", Message=digest, MessageType="DIGEST", Signature=raw["Signature"],
                  SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
# A signature made outside KMS by another key, or over another message, does not verify.
outsider = ec.generate_private_key(ec.SECP256R1()).sign(message, ECDSA)
for msg, sig in [(message, outsider), (b"tampered", raw["Signature"]), (digest, raw["Signature"])]:
    assert error_code(kms.verify, KeyId=arn, Message=msg, Signature=sig, SigningAlgorithm="ECDSA_SHA_256") == "KMSInvalidSignatureException"
assert error_code(kms.sign, KeyId=arn, Message=digest[:31], MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256") == "ValidationException"
assert error_code(kms.sign, KeyId=arn, Message=message, SigningAlgorithm="ECDSA_SHA_384") == "InvalidKeyUsageException"
assert error_code(kms.sign, KeyId=arn, Message=b"x" * 4097, SigningAlgorithm="ECDSA_SHA_256") == "ValidationException"

# --- key usage, rotation, key states ---
symmetric = kms.create_key(Description="wraps data key pairs")["KeyMetadata"]["Arn"]
assert error_code(kms.encrypt, KeyId=arn, Plaintext=b"x") == "InvalidKeyUsageException"
assert error_code(kms.generate_data_key, KeyId=arn, KeySpec="AES_256") == "InvalidKeyUsageException"
assert error_code(kms.sign, KeyId=symmetric, Message=message, SigningAlgorithm="ECDSA_SHA_256") == "InvalidKeyUsageException"
assert error_code(kms.get_public_key, KeyId=symmetric) == "UnsupportedOperationException"
assert error_code(kms.enable_key_rotation, KeyId=arn) == "UnsupportedOperationException"
assert error_code(kms.rotate_key_on_demand, KeyId=arn) == "UnsupportedOperationException"
kms.disable_key(KeyId=arn)
assert error_code(kms.sign, KeyId=arn, Message=message, SigningAlgorithm="ECDSA_SHA_256") == "DisabledException"
kms.enable_key(KeyId=arn)

# --- a key policy denying kms:Sign to a role while allowing kms:Verify, then the other way ---
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="edge-signer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
iam.put_role_policy(RoleName="edge-signer", PolicyName="kms", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Sign", "kms:Verify", "kms:GetPublicKey"], "Resource": "*"}]}))
# (An account's root cannot assume roles: an IAM user of the account does.)
iam.create_user(UserName="edge")
iam.put_user_policy(UserName="edge", PolicyName="assume", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
access = iam.create_access_key(UserName="edge")["AccessKey"]
edge_sts = client("sts", key=access["AccessKeyId"], secret=access["SecretAccessKey"])
session = edge_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="job")["Credentials"]
as_role = client("kms", creds=session)


def policy(denied):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "deny", "Effect": "Deny", "Principal": {"AWS": role["Arn"]}, "Action": denied, "Resource": "*"},
    ]})


kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy("kms:Sign"))
assert error_code(as_role.sign, KeyId=arn, Message=message, SigningAlgorithm="ECDSA_SHA_256") == "AccessDeniedException"
assert as_role.verify(KeyId=arn, Message=message, Signature=raw["Signature"], SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
assert as_role.get_public_key(KeyId=arn)["PublicKey"] == pk["PublicKey"]
kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy("kms:Verify"))
by_role = as_role.sign(KeyId=arn, Message=message, SigningAlgorithm="ECDSA_SHA_256")["Signature"]
public.verify(by_role, message, ECDSA)
assert error_code(as_role.verify, KeyId=arn, Message=message, Signature=by_role, SigningAlgorithm="ECDSA_SHA_256") == "AccessDeniedException"
# The role has no IAM permission for data key pairs.
assert error_code(as_role.generate_data_key_pair, KeyId=symmetric, KeyPairSpec="ECC_NIST_P256") == "AccessDeniedException"

# --- data key pairs: the private key ciphertext decrypts to the PKCS #8 of the public key ---
ctx = {"edgeward:job": "j-7"}
pair = kms.generate_data_key_pair(KeyId=symmetric, KeyPairSpec="ECC_NIST_P256", EncryptionContext=ctx)
assert pair["KeyId"] == symmetric and pair["KeyPairSpec"] == "ECC_NIST_P256"
private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
assert isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1"
assert der_public(private.public_key()) == pair["PublicKey"]
opened = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext=ctx)
assert opened["Plaintext"] == pair["PrivateKeyPlaintext"] and opened["KeyId"] == symmetric
serialization.load_der_public_key(pair["PublicKey"]).verify(private.sign(message, ECDSA), message, ECDSA)
assert error_code(kms.decrypt, CiphertextBlob=pair["PrivateKeyCiphertextBlob"]) == "InvalidCiphertextException"
bare = kms.generate_data_key_pair_without_plaintext(KeyId=symmetric, KeyPairSpec="ECC_NIST_P256")
assert "PrivateKeyPlaintext" not in bare
private = serialization.load_der_private_key(kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"], password=None)
assert der_public(private.public_key()) == bare["PublicKey"]
assert error_code(kms.generate_data_key_pair, KeyId=symmetric, KeyPairSpec="RSA_2048") == "NotImplemented"
assert error_code(kms.generate_data_key_pair, KeyId=arn, KeyPairSpec="ECC_NIST_P256") == "InvalidKeyUsageException"

# --- the trail: Sign and GenerateDataKeyPair events without messages or keys ---
ct = client("cloudtrail", CUSTOMER)
for name in ["Sign", "Verify", "GenerateDataKeyPair", "GetPublicKey"]:
    events = [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}], MaxResults=50)["Events"]]
    assert events, name
    for e in events:
        assert e["eventSource"] == "kms.amazonaws.com" and e["readOnly"] is True
        params = e.get("requestParameters") or {}
        assert "message" not in params and "signature" not in params, e
        assert e.get("responseElements") is None, e
signs = [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events(
    LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Sign"}], MaxResults=50)["Events"]]
assert any(e["requestParameters"].get("signingAlgorithm") == "ECDSA_SHA_256" and e["requestParameters"].get("messageType") == "DIGEST" for e in signs)
assert any(e.get("errorCode") == "AccessDeniedException" for e in signs)

print("kms_asymmetric: ok")
