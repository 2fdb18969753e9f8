import hashlib, os, time
from edgeward_env import CUSTOMER
from s3_util import MiB, s3
c = s3(CUSTOMER)
try: c.create_bucket(Bucket="perfb")
except Exception: pass
data = os.urandom(128*MiB)
t=time.monotonic(); c.put_object(Bucket="perfb", Key="k", Body=data); print("put", time.monotonic()-t)
t=time.monotonic(); b=c.get_object(Bucket="perfb", Key="k")["Body"].read(); print("get", time.monotonic()-t)
