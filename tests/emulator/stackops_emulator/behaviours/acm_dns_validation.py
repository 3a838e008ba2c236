"""ACM DNS validation: a requested certificate is issued once its validation CNAMEs are in DNS, not before.

AWS (ACM User Guide, "AWS Certificate Manager DNS validation"; API reference, CertificateDetail.Status): a
certificate requested with DNS validation stays PENDING_VALIDATION until ACM finds, for every domain name, the
CNAME record that DescribeCertificate's DomainValidationOptions[].ResourceRecord names; then each domain's
ValidationStatus is SUCCESS and the certificate ISSUED (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html).
Without the records it never becomes ISSUED (it times out after 72 hours).

moto 5.2 issues every requested certificate 60 seconds after the request (MOTO_ACM_VALIDATION_WAIT), whether or
not DNS holds the records, so a converge that forgot the records would pass here and hang on AWS. This behaviour,
before ACM reads, looks each pending certificate's records up in the emulator's Route 53 hosted zones: all there,
the certificate is ISSUED; any missing, moto's clock is held back so that it stays PENDING_VALIDATION.
"""

from __future__ import annotations

# The record moto asks for (its DomainValidationOptions): a fixed label under the domain, a fixed target.
RECORD_LABEL = "_d930b28be6c5927595552b219965053e"
RECORD_VALUE = "_c9edd76ee4a0e2a74388032f3861cc50.ykybfrwcxw.acm-validations.aws."
READS = ("DescribeCertificate", "ListCertificates", "GetCertificate")


def _cnames():
    from moto.route53.models import route53_backends

    found = set()
    for account in list(route53_backends):
        for partition in list(route53_backends[account]):
            backend = route53_backends[account][partition]
            for zone in backend.zones.values():
                if zone.private_zone:
                    continue
                for record in zone.rrsets:
                    if record.type == "CNAME":
                        for value in record.records:
                            found.add((record.name.rstrip(".").lower(), str(value).rstrip(".").lower()))
    return found


def _required(certificate):
    names = set(certificate.sans + ([certificate.common_name] if certificate.common_name else []))
    return {
        (f"{RECORD_LABEL}.{name[2:] if name.startswith('*.') else name}".lower(), RECORD_VALUE.rstrip(".").lower())
        for name in names
    }


class AcmDnsValidation:
    name = "acm-dns-validation"
    summary = (
        "Certificates requested with DNS validation are ISSUED once their CNAMEs are in a Route 53 zone, never before"
    )
    documented_by = "https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service == "acm" and call.operation in READS:
            self._validate()
        return forward(request)

    def _validate(self):
        from moto.acm.models import acm_backends
        from moto.core.utils import utcnow

        pending = []
        for account in list(acm_backends):
            for region in list(acm_backends[account]):
                backend = acm_backends[account][region]
                for certificate in backend._certificates.values():
                    if certificate.type == "AMAZON_ISSUED" and certificate.status == "PENDING_VALIDATION":
                        pending.append(certificate)
        if not pending:
            return
        records = _cnames()
        for certificate in pending:
            if _required(certificate) <= records:
                certificate.status = "ISSUED"
            else:
                certificate.created_at = utcnow()  # moto issues by age: hold it pending
