from terminarz.cli import main

raise SystemExit(main())
