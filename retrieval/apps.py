from django.apps import AppConfig


class RetrievalConfig(AppConfig):
    name = "retrieval"
    verbose_name = "Retrieval"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from catalog.signals import catalog_changed
        from retrieval import receivers

        catalog_changed.connect(receivers.on_catalog_changed, dispatch_uid="retrieval_index")
        connection_created.connect(
            receivers.on_connection_created, dispatch_uid="retrieval_hnsw_settings"
        )
        post_migrate.connect(receivers.on_post_migrate, sender=self, dispatch_uid="retrieval")
