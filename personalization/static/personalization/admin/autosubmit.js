// django-personalization admin: a <select data-pz-autosubmit> submits its form when changed
// (an external script, not an onchange attribute, for a strict Content-Security-Policy).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-pz-autosubmit")
      && field.form) {
    field.form.submit();
  }
});
