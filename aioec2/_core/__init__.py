"""
The sans-I/O core: serialization, signing, parsing, retry decisions and waiter tables.

Nothing here imports aiohttp or asyncio, reads the clock or the environment: time,
randomness and tokens are parameters, which is what makes every piece testable offline.
"""
