"""The workbook of TalentBridge Recruitment Limited (fictional), a recruitment agency in Dublin with a branch in Cork,
filled in by its data protection officer the way a new user starts: `ropa init`, `ropa export --format xlsx`, then
these cells typed in English (labels picked from the drop-downs, dates day first, the starter record's payroll row
and tax-authority row typed over). Run from the repository root:

    python examples/talentbridge-ie/build_workbook.py

It writes talentbridge.xlsx and, imported from it, talentbridge.ttl (the record the checks read).
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent


def ropa(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "ropa", *args], check=True, capture_output=True)


work = Path(tempfile.mkdtemp())
ropa("init", str(work / "record"), "--org", "TalentBridge Recruitment Limited", "--country", "IE", "--lang", "en")
ropa("export", str(work / "record"), "--format", "xlsx", "--lang", "en", "-o", str(work / "record.xlsx"))
wb = openpyxl.load_workbook(work / "record.xlsx")


def put(sheet, row, values):
    ws = wb[sheet]
    headers = {c.value: c.column for c in ws[1]}
    for k, v in values.items():
        ws.cell(row=row, column=headers[k]).value = v


def clear(sheet):
    ws = wb[sheet]
    for i in range(2, ws.max_row + 1):
        for c in ws[i]:
            c.value = None


TB = "TalentBridge"
put("Organisation", 2, {
    "Name": TB,
    "Registered name": "TalentBridge Recruitment Limited",
    "Address": "14 Fitzwilliam Place, Dublin 2, D02 K288 (branch: 3 South Mall, Cork, T12 X2N6)",
    "E-mail": "privacy@talentbridge.ie",
    "Telephone": "+353 1 555 0140",
    "Company number": "CRO 654321",
    "Website": "https://www.talentbridge.ie",
    "Country": "Ireland",
    "Supervisory authority": "Data Protection Commission (DPC)",
    "Data protection officer": "Aoife Byrne",
    "Rights of data subjects": "Right of access; Right to rectification; Right to erasure ('right to be forgotten'); "
                               "Right to object; Right to data portability; Right to lodge a complaint with a supervisory authority",
    "Response time to requests (Art. 12(3))": "1 month",
    "Further time for complex or numerous requests (Art. 12(3))": "2 months",
    "Security measures for all processing": "Encryption; Access Control Method; Multi-Factor Authentication; Staff Training",
    "States no transfer outside": None,   # the starter record said no data leave the EEA; the ATS and the interviews do
})

CANDIDATE_DATA = "Name; Email Address; Telephone Number; Curriculum vitae (CV); Employment History; Education Qualification"
acts = [
    {"Name": "Candidate registration and CV database", "Role": "Controller",
     "Purposes": "Recruitment Management",
     "Purposes in your words": "Registering candidates who apply or send us their CV, and matching them to vacancies",
     "Legal basis (Art. 6)": "Legitimate interests of the controller; Steps at the data subject's request before entering into a contract",
     "Data subjects": "Job Applicant",
     "Personal data": CANDIDATE_DATA,
     "Processors": "HireStream Inc.",
     "Processing agreement": "yes",
     "Transfers outside the EEA (country: basis)": "United States: EU-US Data Privacy Framework (adequacy decision)",
     "No recipients": "yes",
     "Retention": "1 year after the last contact with the data subject",
     "Source of the data": "The data subject",
     "Legitimate interests assessment carried out (title and date)": "Legitimate interests assessment: candidate database, 04/03/2024",
     "Valid from": "01/02/2019"},
    {"Name": "Video interviews", "Role": "Controller",
     "Purposes": "Recruitment Interview Management",
     "Purposes in your words": "Recorded and live video interviews of candidates, which consultants and clients review",
     "Legal basis (Art. 6)": "Steps at the data subject's request before entering into a contract",
     "Data subjects": "Job Applicant",
     "Personal data": "Name; Picture; Voice Communication Recording; Professional Interview",
     "Processors": "InterviewLoop Ltd",
     "Processing agreement": "yes",
     "Transfers outside the EEA (country: basis)": "United Kingdom: EU Adequacy Decision for United Kingdom",
     "Recipients": "Client companies",
     "Retention": "6 months",
     "Valid from": "15/09/2021"},
    {"Name": "Psychometric testing", "Role": "Controller",
     "Purposes": "Recruitment Applicant Selection",
     "Purposes in your words": "Aptitude and personality questionnaires a client asks of the candidates for a role",
     "Legal basis (Art. 6)": "Consent",
     "How consent is withdrawn (Art. 7(3))": "In the candidate portal, or by e-mail to privacy@talentbridge.ie",
     "Data subjects": "Job Applicant",
     "Personal data": "Name; Personality",
     "Processors": "Aptitude Insights Ltd",
     "Processing agreement": "yes",
     "States no transfer outside": "EEA",
     "Recipients": "Client companies",
     "Retention": "1 year",
     "Processing context (what makes a DPIA likely, Art. 35)": "Evaluation and Scoring",
     "Valid from": "01/06/2022"},
    {"Name": "CV screening and ranking", "Role": "Controller",
     "Purposes": "Recruitment Application Analysis",
     "Purposes in your words": "A screening tool scores each application against the vacancy and ranks the candidates; "
                               "applications below the cut-off score are declined without a consultant reading them",
     "Legal basis (Art. 6)": "Legitimate interests of the controller",
     "Data subjects": "Job Applicant",
     "Personal data": "Curriculum vitae (CV); Employment History; Education Qualification",
     "Processors": "RankWise B.V.",
     "Processing agreement": "yes",
     "States no transfer outside": "EEA",
     "No recipients": "yes",
     "Retention": "6 months",
     "Processing operations": "Profiling; Screen",
     "Processing context (what makes a DPIA likely, Art. 35)": "Automated Decision Making; Scoring of Individuals",
     "Scale of the processing (Art. 35(3), Art. 37(1))": "Large Scale Of Data Subjects",
     "DPIA carried out (its title and date, one per line)": "DPIA: CV screening tool, 20/01/2025",
     "Legitimate interests assessment carried out (title and date)": "Legitimate interests assessment: CV screening, 20/01/2025",
     "Valid from": "01/03/2025"},
    {"Name": "Reference checks", "Role": "Controller",
     "Purposes": "Recruitment Applicant Selection",
     "Purposes in your words": "Asking the referees a candidate names about the candidate's previous employment",
     "Legal basis (Art. 6)": "Legitimate interests of the controller",
     "Data subjects": "Job Applicant",
     "Personal data": "Name; Reference; Employment History",
     "States no transfer outside": "EEA",
     "Recipients": "Client companies",
     "Retention": "1 year",
     "Source of the data": "Third parties",
     "Legitimate interests assessment carried out (title and date)": "Legitimate interests assessment: reference checks, 04/03/2024"},
    {"Name": "Garda vetting for care-work placements", "Role": "Controller",
     "Purposes": "Recruitment Applicant Criminal Background Check",
     "Purposes in your words": "Applying through the National Vetting Bureau for the vetting disclosure of candidates "
                               "placed with clients in care work with children or vulnerable persons",
     "Legal basis (Art. 6)": "Legal obligation",
     "Law that lays down the obligation or task (Art. 6(3))": "National Vetting Bureau (Children and Vulnerable Persons) Acts 2012 to 2016, section 12",
     "Law that allows criminal-offence data (Art. 10)": "Data Protection Act 2018, section 55; National Vetting Bureau (Children and Vulnerable Persons) Acts 2012 to 2016",
     "Data subjects": "Job Applicant",
     "Personal data": "Name; Birth Date; Physical Address; Criminal Conviction",
     "States no transfer outside": "EEA",
     "Recipients": "National Vetting Bureau of the Garda Síochána; Client companies",
     "Retention": "1 year",
     "Source of the data": "The data subject; Public Data Source",
     "Security measures": "Access Control Method; Encryption",
     "Valid from": "29/04/2016"},
    {"Name": "Candidate profiles sent to clients", "Role": "Controller",
     "Purposes": "Recruitment Management",
     "Purposes in your words": "Sending a candidate's profile and CV to a client company for a vacancy the candidate agreed to be put forward for",
     "Legal basis (Art. 6)": "Consent",
     "How consent is withdrawn (Art. 7(3))": "By telling the consultant or by e-mail to privacy@talentbridge.ie, before the profile is sent",
     "Data subjects": "Job Applicant",
     "Personal data": CANDIDATE_DATA,
     "States no transfer outside": "EEA",
     "Recipients": "Client companies",
     "Retention": "1 year after the last contact with the data subject"},
    {"Name": "Payroll", "Role": "Controller",
     "Purposes": "Human Resource Management",
     "Purposes in your words": "Paying our staff and the contractors we place, and the employer's returns to Revenue",
     "Legal basis (Art. 6)": "Performance of a contract; Legal obligation",
     "Law that lays down the obligation or task (Art. 6(3))": "Taxes Consolidation Act 1997, Part 42, Chapter 4 (PAYE), and the Income Tax (Employments) Regulations 2018",
     "Data subjects": "Employee",
     "Personal data": "Name; Physical Address; Bank Account; Salary; Irish personal public service number (PPSN)",
     "Legal provision that allows it (Art. 87)": "Social Welfare Consolidation Act 2005, section 262 (the employer's transactions with Revenue and the Department of Social Protection)",
     "Processors": "Munster Payroll Services Ltd",
     "Processing agreement": "yes",
     "States no transfer outside": "EEA",
     "Recipients": "Revenue Commissioners",
     "Retention": "6 years after end of the contractual relationship",
     "Source of the data": "The data subject"},
]
clear("Activities")
for i, a in enumerate(acts, start=2):
    a.setdefault("Organisation keeping the record", TB)
    put("Activities", i, a)

# the starter record's rows are typed over: its tax authority becomes Revenue, its DPO row the named DPO
parties = [
    {"Key": "tax-authorities", "Name": "Revenue Commissioners", "Type": "Public authority; Recipient", "Country": "Ireland"},
    {"Key": "dpo", "Name": "Aoife Byrne", "Type": "Data protection officer", "E-mail": "dpo@talentbridge.ie"},
    {"Name": "HireStream Inc.", "Type": "Processor", "Country": "United States", "Headquarters": "United States",
     "Data location": "United States", "E-mail": "privacy@hirestream.com", "Processing agreement": "yes",
     "Certified under (Art. 45)": "EU-US Data Privacy Framework (adequacy decision)"},
    {"Name": "InterviewLoop Ltd", "Type": "Processor", "Country": "United Kingdom", "Headquarters": "United Kingdom",
     "Data location": "United Kingdom", "Processing agreement": "yes"},
    {"Name": "Aptitude Insights Ltd", "Type": "Processor", "Country": "Ireland", "Data location": "Ireland",
     "Processing agreement": "yes"},
    {"Name": "RankWise B.V.", "Type": "Processor", "Country": "Netherlands", "Data location": "Netherlands",
     "Processing agreement": "yes"},
    {"Name": "Munster Payroll Services Ltd", "Type": "Processor", "Country": "Ireland", "Data location": "Ireland",
     "Processing agreement": "yes"},
    {"Name": "National Vetting Bureau of the Garda Síochána", "Type": "Public authority; Recipient", "Country": "Ireland"},
    {"Name": "Client companies", "Type": "Third party; Recipient", "Country": "Ireland"},
]
clear("Processors and recipients")
for i, p in enumerate(parties, start=2):
    put("Processors and recipients", i, p)

book = HERE / "talentbridge.xlsx"
wb.save(book)
ropa("import", str(book), "-o", str(work / "imported"))
shutil.copy(work / "imported" / "talentbridge.ttl", HERE / "talentbridge.ttl")
shutil.rmtree(work)
