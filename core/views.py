from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgunits.selectors import membership_list_for_user


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: the companies they work in and their roles."""
    memberships = membership_list_for_user(user=request.user)
    return render(request, "core/home.html", {"memberships": memberships})
