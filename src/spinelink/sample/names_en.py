"""English name pools and nicknames (common names only, most frequent first).

A nickname here is never itself a forename in the pools, and each nickname belongs to
exactly one forename, so `linkage_models/nicknames.csv` can resolve it without doubt.
"""
from __future__ import annotations

MALE = """
James John Robert Michael William David Richard Thomas Christopher Daniel Matthew
Anthony Mark Paul Stephen Andrew Joseph George Edward Peter Benjamin Samuel Jack Harry
Oliver Charlie Alexander Henry Philip Nicholas Timothy Jonathan Patrick Frederick Albert
Arthur Leo Noah Oscar Alfie Jacob Theodore Ronald Raymond Gary Kevin Simon Ian Graham
Keith Colin Trevor Lewis Ryan Adam Luke Callum Liam Kieran Dean Craig Kenneth Gregory
Charles Joshua Nathan Jamie Scott Lee Martin Neil Stuart Brian Dennis Roy Derek
""".split()

FEMALE = """
Mary Elizabeth Margaret Katherine Susan Sarah Jennifer Patricia Linda Barbara Jessica
Emily Olivia Amelia Isla Ava Sophie Charlotte Grace Lily Emma Hannah Rebecca Victoria
Rachel Laura Claire Helen Julie Karen Nicola Joanne Lisa Deborah Jacqueline Christine
Dorothy Jean Joan Florence Alice Ella Mia Freya Poppy Evie Abigail Samantha Alexandra
Catherine Jane Ann Anne Gemma Amy Lucy Chloe Megan Jade Kirsty Caroline Frances Theresa
Sandra Valerie Pamela Louise Michelle Angela Wendy Sharon Tracey Hayley Zoe Holly Ruby
""".split()

SURNAMES = """
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Jackson Wood
Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen
James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly
Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Marshall
Anderson Simpson Ellis Adams Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Hunt
Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker
Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Fletcher Walsh Gibson Howard
Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence
Cole Atkinson Bradley Spencer Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan
Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter
Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins
Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Dean Lane
Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross
Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis
Hopkins O'Connor Harper Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp
Hardy Wheeler Potter Osborne Johnston Gordon Doyle Wallace Jordan Hutchinson Rowe Burke
Smith-Jones Lloyd-Davies
""".split()

# forename -> nicknames (lower case in nicknames.csv)
NICKNAMES = {
    "Robert": ["Bob", "Bobby", "Rob", "Robbie"],
    "William": ["Bill", "Billy", "Will", "Willie"],
    "Elizabeth": ["Liz", "Lizzie", "Beth", "Betty", "Libby"],
    "Margaret": ["Maggie", "Peggy", "Meg", "Madge"],
    "James": ["Jim", "Jimmy"],
    "Katherine": ["Kate", "Katie", "Kath", "Kathy"],
    "Catherine": ["Cathy", "Cath"],
    "Michael": ["Mike", "Mick", "Micky"],
    "Richard": ["Rick", "Ricky", "Dick", "Richie"],
    "Thomas": ["Tom", "Tommy"],
    "Christopher": ["Chris", "Kit"],
    "Christine": ["Chrissie"],
    "Daniel": ["Dan", "Danny"],
    "Matthew": ["Matt", "Matty"],
    "Anthony": ["Tony", "Ant"],
    "Andrew": ["Andy", "Drew"],
    "Stephen": ["Steve", "Stevie"],
    "Joseph": ["Joe", "Joey"],
    "Edward": ["Ed", "Eddie", "Ted", "Teddy"],
    "Peter": ["Pete"],
    "Benjamin": ["Ben", "Benny"],
    "Samuel": ["Sam", "Sammy"],
    "Alexander": ["Alex", "Sandy"],
    "Nicholas": ["Nick", "Nicky"],
    "Timothy": ["Tim", "Timmy"],
    "Jonathan": ["Jon", "Jonny"],
    "Patrick": ["Pat", "Paddy"],
    "Frederick": ["Fred", "Freddie"],
    "Albert": ["Bert", "Bertie"],
    "Theodore": ["Theo"],
    "Ronald": ["Ron", "Ronnie"],
    "Raymond": ["Ray"],
    "Kenneth": ["Ken", "Kenny"],
    "Gregory": ["Greg"],
    "Philip": ["Phil"],
    "Henry": ["Hal", "Hank"],
    "Charles": ["Chas", "Chuck"],
    "David": ["Dave", "Davey"],
    "Joshua": ["Josh"],
    "Nathan": ["Nat"],
    "Mary": ["Polly", "Mamie"],
    "Susan": ["Sue", "Susie"],
    "Patricia": ["Patty", "Trish", "Tricia"],
    "Jennifer": ["Jen", "Jenny"],
    "Rebecca": ["Becky", "Becca"],
    "Victoria": ["Vicky", "Tori"],
    "Deborah": ["Debbie", "Debs"],
    "Jacqueline": ["Jackie"],
    "Joanne": ["Jo"],
    "Dorothy": ["Dot", "Dottie", "Dolly"],
    "Florence": ["Flo", "Florrie"],
    "Abigail": ["Abbie", "Abby"],
    "Pamela": ["Pam"],
    "Valerie": ["Val"],
    "Theresa": ["Tess", "Terri"],
    "Frances": ["Fran"],
    "Caroline": ["Carrie", "Caz"],
    "Rachel": ["Rach"],
    "Helen": ["Nell"],
    "Nicola": ["Nikki"],
    "Barbara": ["Babs", "Barb"],
    "Jessica": ["Jess", "Jessie"],
    "Olivia": ["Liv", "Livvy"],
    "Charlotte": ["Lottie"],
    "Samantha": ["Sammie"],
    "Alexandra": ["Lexie"],
    "Angela": ["Angie"],
    "Michelle": ["Shelley"],
}
