"""The one place that turns exceptions into messages and exit codes.

1 is an expected finding, 2 a usage or input error (:class:`FatalError`), 3 a crash
(with a pointer to where to report it), 130 Ctrl-C.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from opsascode import __version__
from opsascode.errors import FatalError

ISSUES_URL = "https://github.com/opsascode/opsascode/issues"


def run(command: Callable[[], int]) -> int:
    try:
        return command()
    except FatalError as exc:
        print(f"opsascode: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("opsascode: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception:
        print(
            f"opsascode {__version__}: unexpected error; this is a bug, please report it at "
            f"{ISSUES_URL} with the text below.\n{traceback.format_exc()}",
            file=sys.stderr,
        )
        return 3
