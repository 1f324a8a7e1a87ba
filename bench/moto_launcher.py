"""The moto_server the benchmarks run: moto with speed-ups that change no answer, and one fix
(MOTO_LAUNCHER below says which and why); moto_launcher() writes the launcher into the work folder."""

import os
import sys

MOTO_LAUNCHER = """#!{python}
# moto_server for the benchmarks, with speed-ups to moto that change no answer (only the SQS
# Approximate* counts' freshness), so that the emulator's own O(N^2) costs do not set the pace:
# - every request finds its account by scanning every account's IAM access keys
#   (moto/iam/models.py, get_account_id_from): O(accounts) per call, and each child account here
#   is an account. Here AssumeRole records the account of the key it hands out, a key found once
#   is remembered (a key never changes account), and so is a key moto never hands out (not a
#   20-character AKIA/ASIA key: the test credentials, which moto reads as AKIAEXAMPLE, the
#   default account).
# - SQS: every SendMessage reads all queue attributes (for ContentBasedDeduplication), and so
#   counts every message three times (ApproximateNumberOf*), and every received message reads
#   them all again (is_message_valid_based_on_retention_period): O(queue length) per message
#   (1,000 messages took 80 s to receive). Here the retention check reads the one attribute, and
#   the three counts are cached for 0.5 s (SQS calls them approximate).
# - SQS's clock (unix_time) builds datetimes; here it is time.time(), the same value.
# And one fix: moto's SQS DeleteMessage rebuilds the queue's message list without the queue's
# lock, so a message sent or deleted meanwhile can be dropped or come back (in one N = 5,000 run,
# 32 requests were never delivered and 231 messages stayed on the queue); here it takes the lock
# that sending a message takes.
import sys
import time

import moto.iam.models as iam
import moto.sqs.models as sqs

_account_of = iam.get_account_id_from
_accounts = {{}}


def get_account_id_from(access_key):
    account = _accounts.get(access_key)
    if account is None:
        account = _account_of(access_key)
        if account != iam.DEFAULT_ACCOUNT_ID or not (
            len(access_key) == 20 and access_key.startswith(("AKIA", "ASIA"))
        ):
            _accounts[access_key] = account
    return account


iam.get_account_id_from = get_account_id_from

import moto.sts.models as sts  # noqa: E402

_assume_role = sts.STSBackend.assume_role


def assume_role(self, *args, **kwargs):
    role = _assume_role(self, *args, **kwargs)
    _accounts[role.access_key_id] = role.account_id
    return role


sts.STSBackend.assume_role = assume_role

_unix_time = sqs.unix_time


def unix_time(dt=None):
    return time.time() if dt is None else _unix_time(dt)


def unix_time_millis(dt=None):
    return unix_time(dt) * 1000.0


sqs.unix_time = unix_time
sqs.unix_time_millis = unix_time_millis


def retained(self, queue_name, message):
    queue = self.get_queue(queue_name)
    return int(queue.message_retention_period) + message.sent_timestamp / 1000 > unix_time()


sqs.SQSBackend.is_message_valid_based_on_retention_period = retained

_delete_message = sqs.Queue.delete_message


def delete_message(self, receipt_handle):
    with self._messages_lock:
        return _delete_message(self, receipt_handle)


sqs.Queue.delete_message = delete_message


def cached(name):
    count = getattr(sqs.Queue, name).fget

    def get(self):
        cache = self.__dict__.setdefault("_bench_counts", {{}})
        now = time.monotonic()
        hit = cache.get(name)
        if hit is None or now - hit[0] >= 0.5:
            hit = cache[name] = (now, count(self))
        return hit[1]

    setattr(sqs.Queue, name, property(get))


for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
             "approximate_number_of_messages_not_visible"):
    cached(name)

from moto.server import main  # noqa: E402

sys.exit(main())
"""


def moto_launcher(moto_server, workdir):
    """A moto_server launcher (in workdir) with MOTO_LAUNCHER's speed-ups."""
    python = os.path.join(os.path.dirname(moto_server), "python")
    if not os.path.exists(python):
        python = sys.executable
    path = os.path.join(workdir, "moto_server_fast")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(MOTO_LAUNCHER.format(python=python))
        os.chmod(path, 0o755)
    return path
