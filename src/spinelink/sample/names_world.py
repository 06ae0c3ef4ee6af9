"""South Asian and Persian names: romanisation groups, and the curated Sikh pools.

`A/B/C` lists romanisations of one name. For the cultures whose names come from
`data/<culture>.*.csv`, these lists only group spellings: a person keeps the spelling the
table gave them and records may carry another of its group. The Sikh pools (no rank list
separates Sikh names) are drawn from directly, most frequent first: every person has one
spelling of a group as their own (the first is the most common).
`M|F` in a surname pool gives the male and female forms (Singh|Kaur).
"""
from __future__ import annotations

SA_MUSLIM_MALE = """
Mohammed/Muhammad/Mohammad/Mohamed Ahmed/Ahmad Ali Hassan/Hasan Hussain/Hussein/Husain
Imran Usman/Osman Omar/Umar Bilal Zain/Zayn Ibrahim Yusuf/Yousuf/Yusef Abdul Faisal/Faysal
Tariq/Tarik Shahid Nadeem/Nadim Asif Javed/Javaid Arif Sajid Zubair Rashid/Rasheed
Adnan Kamran Irfan Waqas Haroon/Harun Amir/Aamir Zakir Shoaib Sohail/Suhail Rizwan
""".split()

SA_MUSLIM_FEMALE = """
Aisha/Ayesha/Aysha Fatima/Fatimah/Fatema Zainab/Zaynab Maryam/Mariam Khadija/Khadijah
Noor/Nur Sana Amina/Aminah/Ameena Hafsa/Hafsah Shabana Nasreen/Nasrin Parveen/Perveen
Rukhsana/Ruksana Nazia Samina/Sameena Saima Farzana Rabia Sadia Shazia Yasmin/Yasmeen
Bushra Hina Iqra Mehwish Nadia Rubina/Robina Tahira Uzma Zara/Zahra Sumaira
""".split()

SA_MUSLIM_SURNAMES = """
Khan Ahmed/Ahmad Ali Hussain/Hussein/Husain Akhtar/Akhter Iqbal Rahman/Rehman Malik
Mahmood/Mahmud/Mehmood Chaudhry/Choudhury/Chaudhary/Chowdhury Aziz Rashid Qureshi/Kureshi
Siddiqui/Siddiqi/Siddique Mirza Butt Raza Haider/Hyder Anwar Sheikh/Shaikh Miah/Mia
Uddin/Udin Islam Hossain/Hossen Begum Bibi Javed Nawaz Saleem/Salim Shah Hassan/Hasan
""".split()

SA_HINDU_MALE = """
Raj Rajesh Sanjay Amit Arjun Rahul Vikram Sunil Anil Deepak Ravi Krishna Aarav Rohan
Kabir Nikhil Vijay Ashok Suresh Ramesh Mahesh Dinesh Prakash Manoj Vivek Ajay Kiran
Hitesh Nilesh Jayesh Pravin/Praveen Dilip/Dileep Mukesh Naresh
""".split()

SA_HINDU_FEMALE = """
Priya Anjali Pooja/Puja Neha Sunita Kavita Meena Geeta/Gita Divya Deepa Anita Asha
Lakshmi/Laxmi Rekha Nisha Shilpa Sonal Hema Jyoti/Jyothi Usha Radha Sita/Seeta Bhavna/Bhavana
Nita/Neeta Komal Ritu Sapna Manisha Aarti/Arti Hetal Kajal
""".split()

SA_HINDU_SURNAMES = """
Patel Shah Sharma Kumar Gupta Mistry Desai Joshi Mehta Rao Reddy Nair Iyer/Iyengar
Bhatt/Bhat Chopra Kapoor/Kapur Verma Parmar Solanki Chauhan Thakkar Modi Lad Pandya
Trivedi Pillai Menon Chandra Varma Dave
""".split()

SA_SIKH_MALE = """
Harpreet Gurpreet Jaswinder/Jasvinder Sandeep Manpreet Harjit/Harjeet Kulwinder/Kulvinder
Baljit/Baljeet Amarjit/Amarjeet Sukhwinder/Sukhvinder Ranjit/Ranjeet Paramjit/Paramjeet
Jagdeep Gurdeep Harvinder Inderjit Karanveer Arjan Navdeep Tejinder
""".split()

SA_SIKH_FEMALE = """
Simran Harleen Gurleen Jasleen Manpreet Amrit Rajinder/Rajender Kamaljit Navneet Jaspreet
Harjinder Sukhjeet Gurpreet Parminder Balvinder/Balwinder Kiranjit Mandeep Ravinder
""".split()

SA_SIKH_SURNAMES = """
Singh|Kaur Gill Sandhu Sidhu Dhillon Grewal Bains Atwal Johal Sahota Virdi Kalsi Bhogal
Dhaliwal/Dhaliwaal Sangha Rai Bassi Mann Randhawa Hayer
""".split()

PERSIAN_MALE = """
Mohammad/Mohammed/Muhammad/Mohamad Ali Reza Hossein/Hosein/Hussein Mehdi/Mahdi Amir Hamid
Hassan/Hasan Saeed/Said/Saied Majid/Madjid Behrouz/Behruz Dariush/Daryoush Kourosh/Kurosh
Farhad Babak Arash Omid Payam Navid Peyman/Payman Siavash/Siavosh/Siyavash Mehran
Morteza/Mortaza Mojtaba Javad/Jawad Abbas Ebrahim/Ibrahim Esmail/Ismail/Esmaeil
Yousef/Yusuf/Yousof Hooman/Human Kaveh/Kave Shahram Bijan/Bizhan
""".split()

PERSIAN_FEMALE = """
Fatemeh/Fatima/Fatemah Zahra/Zahara Maryam/Mariam Farzaneh/Farzana/Farzane Shirin/Shireen
Leila/Layla/Leyla Nasrin/Nasreen Parisa Mahsa Niloufar/Niloofar/Nilufar Roya Sara/Sarah
Narges Azadeh/Azade Samira Shabnam Mina Ladan Golnaz Setareh/Setare Elaheh/Elahe
Soheila/Sohaila Mahnaz Fereshteh/Fereshte Haleh/Hale Yasaman/Yasamin Ziba Negar Neda
""".split()

PERSIAN_SURNAMES = """
Hosseini/Hoseini/Husseini/Hossaini Mohammadi/Mohammedi/Muhammadi Ahmadi/Ahmady
Rezaei/Rezaee/Rezai/Rezaie Moradi Karimi Jafari/Jaafari/Djafari Rahimi Kazemi/Kazimi
Hashemi/Hashimi Sadeghi/Sadeqi/Sadegi Ghorbani/Qorbani Abbasi Mousavi/Musavi/Moosavi
Heidari/Haidari/Heydari Ebrahimi/Ibrahimi Nazari Soltani Tehrani Najafi Akbari Rostami
Sharifi Bagheri/Baqeri Alavi Shirazi Esfahani/Isfahani Farahani Tavakoli/Tavakkoli
Ghasemi/Qasemi Amini Yazdani Asadi Khosravi Sohrabi Daneshvar Rahmani Zand
""".split()
