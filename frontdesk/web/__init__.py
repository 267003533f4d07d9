"""The chat page's static files (`static/`): HTML, CSS, JavaScript modules and vendored assets."""
