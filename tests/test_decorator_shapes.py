"""Every shape ``@mock_ecr`` decorates runs mocked: classes (inherited tests and hooks, class
set-up), generators, async generators, coroutines behind sync wrappers; the rest is refused."""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import inspect
import os
import textwrap
import unittest

import boto3
import pytest

from mock_ecr import mock_ecr
from mock_ecr.mock import FAKE_CREDENTIALS

pytest_plugins = ["pytester"]

FAKE_KEY = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]


#: the plugin comes from the installed entry point when mock_ecr is installed, else named here
_PLUGIN = (
    []
    if any(ep.name == "mock_ecr" for ep in importlib.metadata.entry_points(group="pytest11"))
    else [
        "-p",
        "mock_ecr.pytest_plugin",
    ]
)


def _mocked() -> bool:
    return os.environ.get("AWS_ACCESS_KEY_ID") == FAKE_KEY


def _names() -> list[str]:
    assert _mocked(), "ran unmocked"
    client = boto3.client("ecr", region_name="us-east-1")
    return sorted(r["repositoryName"] for r in client.describe_repositories()["repositories"])


def _create(name: str) -> None:
    assert _mocked(), "ran unmocked"
    boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName=name)


# -- pytest classes, run by pytest itself ------------------------------------------------------------
_HELPERS = """
import os, boto3, pytest, unittest
from mock_ecr import mock_ecr
from mock_ecr.mock import FAKE_CREDENTIALS

def mocked():
    return os.environ.get("AWS_ACCESS_KEY_ID") == FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]

def ecr():
    assert mocked(), "ran unmocked"
    return boto3.client("ecr", region_name="us-east-1")

def names():
    return sorted(r["repositoryName"] for r in ecr().describe_repositories()["repositories"])
"""


def _run(pytester: pytest.Pytester, source: str, **outcomes: int) -> None:
    pytester.makepyfile(test_inner=_HELPERS + textwrap.dedent(source))
    result = pytester.runpytest_inprocess(*_PLUGIN, "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(**outcomes)


def test_inherited_tests_and_hooks_run_mocked(pytester):
    _run(
        pytester,
        """
        class Mixin:
            def test_inherited(self):
                assert names() == []

        class Hooks:
            def setup_method(self, method):
                ecr().create_repository(repositoryName="from-setup")

            def teardown_method(self):
                assert "from-setup" in names()

        @mock_ecr
        class TestInheritedTest(Mixin):
            def test_own(self):
                assert names() == []

        @mock_ecr
        class TestInheritedHooks(Hooks):
            def test_sees_setup(self):
                assert names() == ["from-setup"]
                ecr().create_repository(repositoryName="by-test")

            def test_state_does_not_leak(self):
                assert names() == ["from-setup"]

        @mock_ecr
        class TestOnlyTeardown:
            def teardown_method(self, method):
                assert names() == ["made-by-test"]  # teardown mocked, and sees the test's state

            def test_one(self):
                ecr().create_repository(repositoryName="made-by-test")

        @mock_ecr
        class TestStaticAndClassMethods:
            @staticmethod
            def test_static():
                assert names() == []

            @classmethod
            def test_classmethod(cls):
                assert names() == []

        def test_nothing_left_active():
            assert not mocked()
        """,
        passed=8,
    )


def test_class_setup_state_is_there_for_every_test_and_changes_are_gone(pytester):
    _run(
        pytester,
        """
        @mock_ecr
        class TestClassSetup:
            @classmethod
            def setup_class(cls):
                ecr().create_repository(repositoryName="class-repo")
                with mock_ecr() as m:  # joins the class-long activation
                    cls.pushed = m.push_image("class-repo", "v1")

            @classmethod
            def teardown_class(cls):
                assert "class-repo" in names()

            def setup_method(self):
                assert names() == ["class-repo"]

            def test_a(self):
                assert names() == ["class-repo"]
                ecr().create_repository(repositoryName="aa")
                ecr().batch_delete_image(repositoryName="class-repo", imageIds=[{"imageTag": "v1"}])

            def test_b(self):
                assert names() == ["class-repo"]
                images = ecr().describe_images(repositoryName="class-repo")["imageDetails"]
                assert [i["imageDigest"] for i in images] == [self.pushed.digest]
                with mock_ecr() as m:
                    # the calls of class set-up and earlier tests are gone; setup_method's are there
                    assert [c.operation for c in m.calls] == [
                        "DescribeRepositories", "DescribeRepositories", "DescribeImages"
                    ]

        class TestPlainSetupClassNoHooks:
            pass

        @mock_ecr
        class TestSetupClassWithoutClassmethod:
            def setup_class(cls):
                ecr().create_repository(repositoryName="plain")

            def test_it(self):
                assert names() == ["plain"]

        def test_nothing_left_active():
            assert not mocked()
        """,
        passed=4,
    )


def test_failing_setups_still_end_their_activation(pytester):
    _run(
        pytester,
        """
        @mock_ecr
        class TestSetupMethodRaises:
            def setup_method(self):
                ecr().create_repository(repositoryName="leak")
                raise RuntimeError("setup failed")

            def test_never_runs(self):
                pass

        def test_after_failed_setup_method():
            assert not mocked()

        @mock_ecr
        class TestSetupClassRaises:
            @classmethod
            def setup_class(cls):
                ecr().create_repository(repositoryName="leak")
                raise RuntimeError("class setup failed")

            def test_never_runs(self):
                pass

        def test_after_failed_setup_class():
            assert not mocked()
            with mock_ecr():
                assert names() == []
        """,
        passed=2,
        errors=2,
    )


def test_unittest_case_under_pytest(pytester):
    _run(
        pytester,
        """
        class BaseCase(unittest.TestCase):
            __test__ = False  # only its decorated subclass runs

            def setUp(self):
                ecr().create_repository(repositoryName="from-setup")

            def test_inherited(self):
                assert names() == ["class-repo", "from-setup"]

        @mock_ecr
        class TestCase(BaseCase):
            __test__ = True

            @classmethod
            def setUpClass(cls):
                ecr().create_repository(repositoryName="class-repo")

            @classmethod
            def tearDownClass(cls):
                assert "class-repo" in names()

            def tearDown(self):
                assert mocked()

            def test_one(self):
                assert names() == ["class-repo", "from-setup"]
                ecr().delete_repository(repositoryName="class-repo")

            def test_two(self):
                assert names() == ["class-repo", "from-setup"]

        def test_nothing_left_active():
            assert not mocked()
        """,
        passed=4,
    )


def test_async_fixture_and_async_generator_fixture(pytester):
    pytest.importorskip("pytest_asyncio")
    _run(
        pytester,
        """
        import pytest_asyncio

        @pytest_asyncio.fixture
        @mock_ecr
        async def seeded():
            ecr().create_repository(repositoryName="from-fixture")
            yield "seeded"
            assert names() == ["from-fixture", "from-test"]  # still mocked at teardown

        @pytest.mark.asyncio
        async def test_uses_it(seeded):
            assert seeded == "seeded"
            assert names() == ["from-fixture"]
            ecr().create_repository(repositoryName="from-test")

        @pytest.mark.asyncio
        @mock_ecr
        async def test_coroutine():
            assert names() == []

        def test_nothing_left_active():
            assert not mocked()
        """,
        passed=3,
    )


# -- unittest classes, run by unittest itself ---------------------------------------------------------
def _run_unittest(case: type[unittest.TestCase]) -> unittest.TestResult:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TestResult()
    suite.run(result)
    return result


def test_unittest_runner_runs_class_setup_mocked_and_rewinds_between_tests():
    seen: list[list[str]] = []

    @mock_ecr
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            with mock_ecr() as m:
                m.push_image("seeded", "v1")

        def test_a(self):
            seen.append(_names())
            _create("made-by-a")

        def test_b(self):
            seen.append(_names())
            _create("made-by-b")

    result = _run_unittest(Case)
    assert result.wasSuccessful(), result.errors + result.failures
    assert seen == [["seeded"], ["seeded"]]
    assert not _mocked()


def test_unittest_set_up_class_that_raises_ends_its_activation():
    @mock_ecr
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            _create("leak")
            raise RuntimeError("boom")

        def test_a(self):
            pass

    result = _run_unittest(Case)
    assert len(result.errors) == 1
    assert not _mocked()


def test_unittest_inherited_set_up_and_tests():
    class Base(unittest.TestCase):
        def setUp(self):
            _create("from-setup")

        def test_inherited(self):
            assert _names() == ["from-setup"]

    @mock_ecr
    class Case(Base):
        def test_own(self):
            assert _names() == ["from-setup"]

    result = _run_unittest(Case)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 2


# -- generators and coroutines ----------------------------------------------------------------------
def test_generator_runs_mocked_for_its_whole_iteration():
    @mock_ecr
    def repositories():
        yield _names()
        _create("during-iteration")
        received = yield _names()
        yield received

    iterator = repositories()
    assert not _mocked()
    assert next(iterator) == []
    assert next(iterator) == ["during-iteration"]
    assert iterator.send("sent") == "sent"
    with pytest.raises(StopIteration):
        next(iterator)
    assert not _mocked()


def test_generator_closed_early_ends_its_activation():
    @mock_ecr
    def endless():
        while True:
            yield _names()

    iterator = endless()
    assert next(iterator) == []
    iterator.close()
    assert not _mocked()


def test_async_generator_runs_mocked_for_its_whole_iteration():
    @mock_ecr
    async def repositories():
        yield _names()
        await asyncio.sleep(0)
        _create("during-iteration")
        try:
            yield _names()
        except KeyError:
            yield "thrown"

    assert inspect.isasyncgenfunction(repositories)

    async def consume():
        agen = repositories()
        first = await agen.__anext__()
        second = await agen.__anext__()
        thrown = await agen.athrow(KeyError("x"))
        await agen.aclose()
        return first, second, thrown

    assert asyncio.run(consume()) == ([], ["during-iteration"], "thrown")
    assert not _mocked()


def _sync_decorator(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def test_coroutine_behind_a_sync_wrapper_is_recognised():
    @mock_ecr
    @_sync_decorator
    async def test_coroutine():
        await asyncio.sleep(0)
        _create("in-coroutine")
        return _names()

    assert inspect.iscoroutinefunction(test_coroutine)  # so pytest plugins treat it as async
    assert asyncio.run(test_coroutine()) == ["in-coroutine"]
    assert not _mocked()


def test_a_returned_coroutine_or_generator_runs_mocked():
    async def coroutine():
        return _names()

    def generator():
        yield _names()

    opaque_coroutine = mock_ecr(lambda: coroutine())
    opaque_generator = mock_ecr(lambda: generator())
    assert asyncio.run(opaque_coroutine()) == []
    assert list(opaque_generator()) == [[]]
    assert not _mocked()


def test_sync_generator_fixture_spans_the_test(request):
    @mock_ecr
    def fixture_body():
        _create("from-fixture")
        yield
        assert _names() == ["from-fixture", "from-test"]

    iterator = fixture_body()
    next(iterator)
    _create("from-test")
    with pytest.raises(StopIteration):
        next(iterator)
    assert not _mocked()


# -- signatures and refusals ------------------------------------------------------------------------
def test_signature_and_metadata_are_kept():
    def original(a: int, b: str = "x", *, c: float) -> str:
        """Doc."""
        return f"{a}{b}{c}"

    decorated = mock_ecr(original)
    assert inspect.signature(decorated) == inspect.signature(original)
    assert decorated.__name__ == "original" and decorated.__doc__ == "Doc."
    assert decorated(1, c=2.0) == "1x2.0"


@pytest.mark.parametrize("target", ["text", 42, b"bytes", property(lambda self: 1)])
def test_what_cannot_be_decorated_is_refused_at_decoration_time(target):
    with pytest.raises(TypeError, match="mock_ecr"):
        mock_ecr(target)


def test_mock_instance_refuses_a_non_callable():
    with pytest.raises(TypeError, match="not callable"):
        mock_ecr()(property(lambda self: 1))
