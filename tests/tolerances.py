"""Agreement required between oncostat and the reference implementations.

``RTOL`` is the relative tolerance on point estimates and statistics; a test that needs
a looser one writes its reason on the line above it.
"""

RTOL = 1e-6
