import hybridfw  # already loaded by `python -m`: no import machinery runs (nothing to interrupt)

try:
    from hybridfw.entry import main

    main()
except KeyboardInterrupt:  # Ctrl-C while the entry module loads or main starts: quietly, as everywhere
    hybridfw.exit_interrupted()
