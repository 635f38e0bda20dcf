"""Configurations this version cannot honour stop the server at start, with one clear line,
instead of serving something weaker than asked."""
import re


def test_an_unknown_read_consistency_is_refused(caucus_factory):
    server = caucus_factory(extra={"readConsistency": "eventual"})
    rc, log = server.start_expect_exit()
    assert rc != 0, "a server asked for a read mode it does not know must not start"
    assert re.search(r"ERROR .*readConsistency.*'local', 'quorum' or 'leader'", log), log


def test_an_ensemble_member_without_myid_is_refused(caucus_factory):
    server = caucus_factory(extra={"server.1": "127.0.0.1:23001:23002",
                                   "server.2": "127.0.0.1:23003:23004"})
    rc, log = server.start_expect_exit()
    assert rc == 1
    assert re.search(r"ERROR .*needs its id in .*/myid", log), log
