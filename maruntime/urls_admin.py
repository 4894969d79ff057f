"""The admin surface: Django admin site and the admin CRUD API."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
