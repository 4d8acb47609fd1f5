"""The Celery application.

With REDIS_URL set, tasks go to Redis and a worker (`make worker`) runs them;
without it they run in-process as they are sent (settings
CELERY_TASK_ALWAYS_EAGER). Tasks are DjangoTask: services enqueue with
``task.delay_on_commit(...)`` so that nothing is sent for a transaction that
rolls back, and no worker reads a row before it is committed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")

app = Celery("portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
