import sys

try:
    from hybridfw.entry import main
except KeyboardInterrupt:  # Ctrl-C while Python starts: quietly, as everywhere else
    sys.stderr.write("hybridfw: interrupted\n")
    raise SystemExit(130) from None

main()
