from archcalc.cli import main

raise SystemExit(main())
