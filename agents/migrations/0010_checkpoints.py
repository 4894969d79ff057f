"""Session checkpoints (written by a trigger on the session row) and the journal of each
session's own memory store, so a fork at any event carries the run state of then.

Sessions that exist already get one backfilled checkpoint (their state now) and a journal
of their session store as it is now: a fork at their latest event is exact, one at an
earlier event falls back to the conversation as the user saw it."""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

# One checkpoint per batch of appended events: the session row as that batch left it.
CHECKPOINT_TRIGGER = """
CREATE FUNCTION agents_session_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agents_sessioncheckpoint
        (session_id, seq, state, context, template_version_id, pipeline_step, result)
    VALUES
        (NEW.id, NEW.last_seq, NEW.state, NEW.context, NEW.template_version_id,
         NEW.pipeline_step, NEW.result)
    ON CONFLICT (session_id, seq) DO UPDATE SET
        state = EXCLUDED.state, context = EXCLUDED.context,
        template_version_id = EXCLUDED.template_version_id,
        pipeline_step = EXCLUDED.pipeline_step, result = EXCLUDED.result,
        backfilled = false;
    RETURN NULL;
END
$$;
CREATE TRIGGER agents_session_checkpoint_on_insert AFTER INSERT ON agents_session
    FOR EACH ROW WHEN (NEW.last_seq > 0) EXECUTE FUNCTION agents_session_checkpoint();
CREATE TRIGGER agents_session_checkpoint_on_update AFTER UPDATE OF last_seq ON agents_session
    FOR EACH ROW WHEN (NEW.last_seq > OLD.last_seq) EXECUTE FUNCTION agents_session_checkpoint();
"""
DROP_CHECKPOINT_TRIGGER = """
DROP TRIGGER agents_session_checkpoint_on_update ON agents_session;
DROP TRIGGER agents_session_checkpoint_on_insert ON agents_session;
DROP FUNCTION agents_session_checkpoint();
"""


def backfill(apps, schema_editor):
    Session = apps.get_model("agents", "Session")
    SessionCheckpoint = apps.get_model("agents", "SessionCheckpoint")
    MemoryEntry = apps.get_model("agents", "MemoryEntry")
    MemoryChange = apps.get_model("agents", "MemoryChange")
    for session in Session.objects.filter(last_seq__gt=0).iterator():
        SessionCheckpoint.objects.create(
            session=session,
            seq=session.last_seq,
            state=session.state,
            context=session.context,
            template_version_id=session.template_version_id,
            pipeline_step=session.pipeline_step,
            result=session.result,
            backfilled=True,
        )
        MemoryChange.objects.bulk_create(
            MemoryChange(
                session=session,
                after_seq=session.last_seq - 1,
                path=entry.path,
                kind=entry.kind,
                content=entry.content,
            )
            for entry in MemoryEntry.objects.filter(store=f"session:{session.pk}").order_by("path")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('agents', '0009_tool_takeover'),
        ('catalog', '0004_tool_takeover'),
    ]

    operations = [
        migrations.CreateModel(
            name='MemoryChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('after_seq', models.PositiveIntegerField()),
                ('path', models.CharField(max_length=500)),
                ('kind', models.CharField(choices=[('file', 'File'), ('dir', 'Dir')], max_length=4)),
                ('content', models.TextField(blank=True, default='')),
                ('deleted', models.BooleanField(default=False)),
                ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memory_changes', to='agents.session')),
            ],
            options={
                'ordering': ['session', 'id'],
                'indexes': [models.Index(fields=['session', 'after_seq'], name='agents_memo_session_c82e3e_idx')],
            },
        ),
        migrations.CreateModel(
            name='SessionCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveIntegerField()),
                ('state', models.CharField(choices=[('inited', 'Inited'), ('running', 'Running'), ('waiting_for_clarification', 'Waiting For Clarification'), ('waiting_for_approval', 'Waiting For Approval'), ('waiting_for_tool_result', 'Waiting For Tool Result'), ('completed', 'Completed'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], max_length=30)),
                ('context', models.JSONField(default=dict)),
                ('pipeline_step', models.PositiveIntegerField(default=0)),
                ('result', models.TextField(blank=True, default='')),
                ('backfilled', models.BooleanField(db_default=False, default=False)),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='checkpoints', to='agents.session')),
                ('template_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.agenttemplateversion')),
            ],
            options={
                'ordering': ['session', 'seq'],
                'constraints': [models.UniqueConstraint(fields=('session', 'seq'), name='checkpoint_seq_unique')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunSQL(CHECKPOINT_TRIGGER, DROP_CHECKPOINT_TRIGGER),
    ]
