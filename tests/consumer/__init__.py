"""Consumer tier: the sdist and the wheel, installed in fresh virtual environments at the pinned and at the
declared minimum versions, an app using every feature, and the installed rehearsal CLI (marked ``slow``)."""
