from django.db import migrations, models


class Migration(migrations.Migration):
    """Token budgets held to the requesting key's limit: each run keeps its key's limit and
    the tokens reserved when it was admitted; the budget row no longer keeps a limit."""

    dependencies = [
        ("agents", "0010_checkpoints"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="token_limit",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="run",
            name="tokens_held",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RemoveField(
            model_name="tokenbudget",
            name="tokens_per_day",
        ),
    ]
