"""Durability load: THREADS threads create IAM users as fast as the server acknowledges
them and append each acknowledged name to ACK_FILE (one line each, flushed), until a call
fails (the test kills the server with SIGKILL) or MAX users are made."""
import os
import threading

from edgeward_env import VENDOR, client

ACK_FILE = os.environ["ACK_FILE"]
THREADS = int(os.environ.get("THREADS", "8"))
MAX = int(os.environ.get("MAX", "100000"))
lock = threading.Lock()
out = open(ACK_FILE, "a")


def work(t):
    iam = client("iam", VENDOR)
    for i in range(MAX // THREADS):
        name = f"dur-{t}-{i}"
        try:
            iam.create_user(UserName=name)
        except Exception:
            return
        with lock:
            out.write(name + "\n")
            out.flush()


threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("trail_writer: stopped")
