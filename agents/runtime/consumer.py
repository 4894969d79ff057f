POOL_CHANNEL = "runtime.pool"
from channels.consumer import AsyncConsumer
class PoolConsumer(AsyncConsumer):
    pass
