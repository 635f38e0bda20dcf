"""Configurations this version cannot honour stop the server at start, with one clear line,
instead of serving something weaker than asked."""
import re


def test_quorum_read_consistency_is_refused_until_it_exists(caucus_factory):
    server = caucus_factory(extra={"readConsistency": "quorum"})
    rc, log = server.start_expect_exit()
    assert rc == 1, "a server asked for quorum reads must not start serving local reads"
    assert re.search(r"ERROR .*readConsistency=quorum is not available", log), log


def test_an_ensemble_member_without_myid_is_refused(caucus_factory):
    server = caucus_factory(extra={"server.1": "127.0.0.1:23001:23002",
                                   "server.2": "127.0.0.1:23003:23004"})
    rc, log = server.start_expect_exit()
    assert rc == 1
    assert re.search(r"ERROR .*needs its id in .*/myid", log), log
