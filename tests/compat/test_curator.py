"""The stock Apache Curator (Debian's libcurator-*-java) via curator/CuratorCompat.java.

The program is compiled once per pytest session with ``javac`` against the
Debian jars into a temp dir, then run against the ``server`` fixture.  A
missing javac/java or jar is a test failure, never a skip.
"""

import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import HERE

SOURCE = os.path.join(HERE, "curator", "CuratorCompat.java")
JAVA_DIR = "/usr/share/java"
# curator-*.jar manifests carry Class-Path entries for guava, slf4j-api,
# jackson and zookeeper; zookeeper.jar's manifest pulls in netty etc.  They
# are listed here too so that compilation does not depend on manifests.
COMPILE_JARS = ["curator-recipes.jar", "curator-framework.jar",
                "curator-client.jar", "zookeeper.jar", "zookeeper-jute.jar",
                "guava.jar", "slf4j-api.jar"]
RUNTIME_JARS = COMPILE_JARS + ["slf4j-simple.jar"]
DEBIAN_PACKAGES = ("libcurator-framework-java libcurator-recipes-java "
                   "libcurator-client-java default-jdk-headless zookeeper")


def _classpath(jars):
    paths = [os.path.join(JAVA_DIR, j) for j in jars]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        pytest.fail("missing jars %s (apt-get install %s)"
                    % (", ".join(missing), DEBIAN_PACKAGES), pytrace=False)
    return paths


@pytest.fixture(scope="session")
def curator_program():
    javac = shutil.which("javac")
    java = shutil.which("java")
    if not javac or not java:
        pytest.fail("javac/java not found (apt-get install %s)"
                    % DEBIAN_PACKAGES, pytrace=False)
    out = tempfile.mkdtemp(prefix="caucus-curator-")
    p = subprocess.run([javac, "-nowarn", "-encoding", "UTF-8", "-d", out,
                        "-cp", ":".join(_classpath(COMPILE_JARS)), SOURCE],
                       capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        shutil.rmtree(out, ignore_errors=True)
        pytest.fail("javac CuratorCompat.java failed:\n%s\n%s"
                    % (p.stdout, p.stderr), pytrace=False)
    yield [java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
           "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
           "-cp", ":".join(_classpath(RUNTIME_JARS) + [out]),
           "CuratorCompat"]
    shutil.rmtree(out, ignore_errors=True)


def test_curator(server, curator_program):
    p = subprocess.run(curator_program + [server.hosts], capture_output=True,
                       text=True, timeout=55)
    out = p.stdout + ("\n--- stderr ---\n" + p.stderr[-6000:]
                      if p.stderr else "")
    fails = [l for l in p.stdout.splitlines() if l.startswith("FAIL")]
    assert p.returncode == 0 and not fails, \
        "CuratorCompat exited %d; failed checks:\n%s\n\nfull output:\n%s" % (
            p.returncode, "\n".join(fails), out)
    passes = [l for l in p.stdout.splitlines() if l.startswith("PASS")]
    assert len(passes) >= 90, "only %d checks ran:\n%s" % (len(passes), out)
    assert " 0 failed" in p.stdout
