"""Exit codes of every `stui` command, so scripts can branch on them."""

EXIT_OK = 0
EXIT_ERROR = 1  # the evaluation failed, or a local operation was refused
EXIT_USAGE = 2
EXIT_CONNECTION = 3  # the image is unreachable or did not answer in time
EXIT_REMOTE = 4  # the image refused the request or broke the protocol
