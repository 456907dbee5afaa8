"""The demo shop's settings as deployed behind one reverse proxy, for ``python -m bench api``.

The proxy appends the client's address to ``X-Forwarded-For``; REST framework's
``NUM_PROXIES = 1`` makes the API's address throttle read that address, not the proxy's.
Nothing else differs from ``demo_shop.settings``: the throttles keep their shipped rates.
"""

from demo_shop.settings import *  # noqa: F403
from demo_shop.settings import REST_FRAMEWORK

REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": 1}
